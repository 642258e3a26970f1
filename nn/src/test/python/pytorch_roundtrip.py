"""Round trip of Kiln checkpoints through PyTorch (a manual check; not run by Maven, which has no PyTorch).

    pip install torch safetensors
    kiln train --save kiln.safetensors
    python3 pytorch_roundtrip.py kiln.safetensors torch.safetensors
    kiln evaluate --model torch.safetensors      # same accuracy as the Kiln run's last epoch

Loads the model tensors of a Kiln checkpoint (dropping the optimizer state, keys "optim.*") into the
torch.nn.Sequential of the same shape with strict=True, evaluates nothing, and saves the state_dict back
with safetensors, so that the file Kiln reads next was written by PyTorch's own tools.
"""
import sys

import torch
from safetensors.torch import load_file, save_file


def build(state):
    layers = []
    i = 0
    while f"{i}.weight" in state:
        out_features, in_features = state[f"{i}.weight"].shape
        if layers:
            layers.append(torch.nn.ReLU())
        layers.append(torch.nn.Linear(in_features, out_features))
        i += 2
    return torch.nn.Sequential(*layers)


def main(src, dst):
    state = {k: v for k, v in load_file(src).items() if not k.startswith("optim.")}
    model = build(state)
    model.load_state_dict(state, strict=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, dst, metadata={"format": "pt"})
    print(f"{src} -> torch {model} -> {dst}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

#!/usr/bin/python3
"""Checkpoint round trip through real PyTorch, run by PyTorchRoundTripTest (skipped where torch is absent).

    torch_roundtrip.py KILN.safetensors INPUT.f32 KILN_LOGITS.f32 OUT.safetensors OUT_LOGITS.f32 SIZES

1. Kiln -> PyTorch: loads Kiln's file into torch.nn.Sequential(Linear, ReLU, ..., Linear) with
   load_state_dict(strict=True) (names 0.weight, 0.bias, 2.weight, ...), and checks that PyTorch's
   logits for the same input equal Kiln's.
2. PyTorch -> Kiln: takes one SGD step in PyTorch (so the weights are PyTorch's own), writes the
   state_dict as safetensors, and PyTorch's logits of the new weights, for Kiln to check.

The safetensors format is read and written here with struct + json (8-byte little-endian header
length, JSON header, raw little-endian data), so the check needs only Debian's python3-torch,
and this writer is independent of Kiln's.
"""
import json
import struct
import sys

import torch


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", info
        start, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[start:end]), dtype=torch.float32)
        out[name] = t.reshape(info["shape"]).clone()
    return out


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    chunks = []
    offset = 0
    for name, t in tensors.items():
        b = t.detach().contiguous().to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for c in chunks:
            f.write(c)


def read_f32(path, shape):
    with open(path, "rb") as f:
        return torch.frombuffer(bytearray(f.read()), dtype=torch.float32).reshape(shape).clone()


def main(kiln_file, input_file, kiln_logits_file, out_file, out_logits_file, sizes):
    sizes = [int(s) for s in sizes.split(",")]
    torch.manual_seed(0)
    layers = []
    for i in range(len(sizes) - 1):
        if i:
            layers.append(torch.nn.ReLU())
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
    model = torch.nn.Sequential(*layers)
    state = {k: v for k, v in read_safetensors(kiln_file).items() if not k.startswith("optim.")}
    model.load_state_dict(state, strict=True)

    x = read_f32(input_file, (-1, sizes[0]))
    kiln_logits = read_f32(kiln_logits_file, (x.shape[0], sizes[-1]))
    with torch.no_grad():
        torch_logits = model(x)
    diff = (torch_logits - kiln_logits).abs().max().item()
    if not diff <= 1e-4 * max(1.0, kiln_logits.abs().max().item()):
        print(f"FAIL kiln->torch: logits differ by {diff}")
        sys.exit(1)

    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    loss = torch.nn.functional.cross_entropy(model(x), torch.arange(x.shape[0]) % sizes[-1])
    loss.backward()
    opt.step()
    write_safetensors(out_file, model.state_dict(), {"format": "pt", "written_by": "torch " + torch.__version__})
    with torch.no_grad():
        model(x).numpy().astype("<f4").tofile(out_logits_file)
    print(f"ok kiln->torch max diff {diff:.3g}; torch {torch.__version__} wrote {out_file}")


if __name__ == "__main__":
    main(*sys.argv[1:7])

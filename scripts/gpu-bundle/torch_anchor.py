#!/usr/bin/env python3
"""PyTorch anchors for Kiln's GPU check (run by run.sh when python3 has torch with CUDA).

  torch_anchor.py gemm OUT.json     fp32 GEMM (TF32 off): the MLP's shapes and squares 256..8192
  torch_anchor.py train OUT.json    784-128-64-10 ReLU MLP, cross-entropy, batch 64 and 512,
                                    SGD momentum 0.9 and Adam, eager mode, data already on the GPU

GEMM: median of timed repetitions (CUDA events; small shapes time 50 products per sample).
Training: 8,000 random samples (the bundled MNIST subset's size; random pixels do not change the
arithmetic), 10 epochs, the loss summed on the device (no sync inside an epoch), one sync at the
end of each epoch; the figure is the median epoch time of epochs 3..10.
"""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn

SHAPES = [(64, 128, 784), (64, 64, 128), (64, 10, 64), (128, 784, 64), (512, 128, 784), (128, 784, 512),
          (256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048), (4096, 4096, 4096),
          (8192, 8192, 8192)]


def device_facts():
    p = torch.cuda.get_device_properties(0)
    return {"torch": torch.__version__, "cuda": torch.version.cuda, "device": p.name,
            "sms": p.multi_processor_count, "cublas_tf32": torch.backends.cuda.matmul.allow_tf32}


def gemm(out):
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    dev = torch.device("cuda")
    results = []
    for m, n, k in SHAPES:
        g = torch.Generator(device=dev).manual_seed(1)
        a = torch.rand(m, k, device=dev, generator=g) - 0.5
        b = torch.rand(k, n, device=dev, generator=g) - 0.5
        c = torch.empty(m, n, device=dev)
        inner = 50 if m * n * k < 50_000_000 else 1
        reps = 10
        for _ in range(3):
            torch.mm(a, b, out=c)
        torch.cuda.synchronize()
        ms = []
        for _ in range(reps):
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            s.record()
            for _ in range(inner):
                torch.mm(a, b, out=c)
            e.record()
            e.synchronize()
            ms.append(s.elapsed_time(e) / inner)
        ms.sort()
        med = ms[reps // 2]
        r = {"impl": "torch.mm", "m": m, "n": n, "k": k, "median_ms": med, "min_ms": ms[0],
             "gflops": 2.0 * m * n * k / (med * 1e6)}
        print(json.dumps(r), flush=True)
        results.append(r)
        del a, b, c
    doc = dict(device_facts(), benchmark="gemm", results=results)
    with open(out, "w") as f:
        json.dump(doc, f, indent=2)


def train(out):
    dev = torch.device("cuda")
    samples, epochs = 8000, 10
    runs = []
    for batch in (64, 512):
        for opt_name in ("sgd", "adam"):
            torch.manual_seed(0)
            x = torch.rand(samples, 784, device=dev)
            y = torch.randint(0, 10, (samples,), device=dev)
            model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                                  nn.Linear(64, 10)).to(dev)
            if opt_name == "sgd":
                opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
            else:
                opt = torch.optim.Adam(model.parameters(), lr=0.001)
            loss_fn = nn.CrossEntropyLoss()
            secs = []
            for epoch in range(epochs):
                perm = torch.randperm(samples, device=dev)
                torch.cuda.synchronize()
                t0 = time.perf_counter()
                total = torch.zeros((), device=dev)
                for i in range(0, samples, batch):
                    idx = perm[i:i + batch]
                    xb, yb = x[idx], y[idx]
                    opt.zero_grad(set_to_none=True)
                    loss = loss_fn(model(xb), yb)
                    loss.backward()
                    opt.step()
                    total += loss.detach()
                float(total)  # the epoch's one sync
                secs.append(time.perf_counter() - t0)
            med = statistics.median(secs[2:])
            r = {"framework": "pytorch-eager", "batch": batch, "optimizer": opt_name, "samples": samples,
                 "epoch_seconds": secs, "median_epoch_s": med, "samples_per_s": samples / med,
                 "step_us": med / ((samples + batch - 1) // batch) * 1e6}
            print(json.dumps(r), flush=True)
            runs.append(r)
    doc = dict(device_facts(), benchmark="train", runs=runs)
    with open(out, "w") as f:
        json.dump(doc, f, indent=2)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("gemm", "train"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    if not torch.cuda.is_available():
        print("torch.cuda is not available", file=sys.stderr)
        sys.exit(3)
    {"gemm": gemm, "train": train}[sys.argv[1]](sys.argv[2])

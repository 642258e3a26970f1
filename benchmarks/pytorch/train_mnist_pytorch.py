#!/usr/bin/python3
"""PyTorch's training throughput for Kiln's comparison: 784-128-64-10, ReLU, batch 64, SGD momentum 0.9.

Same network, optimizer and batch size as `kiln train --optimizer sgd --lr 0.01 --momentum 0.9`;
the data is random (PyTorch does not read IDX files), which does not change the arithmetic.
60,000 samples per epoch, as with the full MNIST set.

Setup on Debian 12 (python3-torch is PyTorch 1.13):
    apt-get install -y python3-torch python3-numpy libopenblas0-pthread
Debian's torch links the reference BLAS through libblas.so.3, which is slow. Point the
alternative at OpenBLAS first (this is what "PyTorch with OpenBLAS" means in docs/benchmarks.md):
    update-alternatives --set libblas.so.3-x86_64-linux-gnu \
        /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
Then:
    /usr/bin/python3 benchmarks/pytorch/train_mnist_pytorch.py --threads 1
    /usr/bin/python3 benchmarks/pytorch/train_mnist_pytorch.py --threads 2
It prints one JSON line per epoch and a summary line with the best samples/s.
"""
import argparse
import json
import os
import time

import torch
import torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=1)
p.add_argument("--epochs", type=int, default=3)
p.add_argument("--batch-size", type=int, default=64)
p.add_argument("--samples", type=int, default=60000)
a = p.parse_args()

torch.set_num_threads(a.threads)
torch.manual_seed(0)
x = torch.rand(a.samples, 784)
y = torch.randint(0, 10, (a.samples,))
model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()

best = 0.0
for epoch in range(a.epochs):
    perm = torch.randperm(a.samples)
    t0 = time.perf_counter()
    total = 0.0
    for i in range(0, a.samples, a.batch_size):
        idx = perm[i:i + a.batch_size]
        xb, yb = x[idx], y[idx]
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        total += loss.item()
    dt = time.perf_counter() - t0
    sps = a.samples / dt
    best = max(best, sps)
    print(json.dumps({"epoch": epoch + 1, "seconds": round(dt, 3), "samples_per_s": round(sps),
                      "threads": a.threads, "batch": a.batch_size}))
print(json.dumps({"torch": torch.__version__, "threads": a.threads, "batch": a.batch_size,
                  "best_samples_per_s": round(best),
                  # Debian's torch reports BLAS "generic": the library actually loaded is whatever
                  # the libblas.so.3 alternative points at.
                  "libblas.so.3": os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")}))

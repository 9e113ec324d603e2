#!/usr/bin/env python3
"""PyTorch peer of the GPU check's .NET side (deploy/gpu/GpuCheck): the same workloads, measured the same way.

    peer.py train  --device cuda --precision fp32|bf16 --tf32 true|false --batch B --steps 50 --warmup 3 [shape]
    peer.py tokens --device cuda --kind hog|dalle --batch 64 --image 224|112 [--patch 16 --dalle-hidden 256 --vocab 8192]
    peer.py matmul --device cuda [--size 8192 --iterations 50]     bf16 matmul rate, the denominator of MFU

shape: --image --patch --dim --depth --heads --mlp --proxies --vocab --mask-ratio (ViT-B/16 at 224 by default).
Prints one JSON object (snake_case keys, as gpucheck) on the last line of standard output.

The model is the repository's independent reference (tests/Model.Tests/python/semanticmim_reference.py), with its
attention computed by scaled_dot_product_attention where PyTorch has it (2.0+), as the project's does. A training
step mirrors PretrainingEngine.TrainStep: a batch drawn from random images held on the CPU and a mask drawn on the
CPU, both moved to the device; BEiT head and cross-entropy on the masked tokens; the loss read back (a sync, as the
engine's NaN check); backward, global-norm clipping at 3.0, AdamW with BEiT's decay groups. bf16 uses torch.autocast;
TF32 sets the same two switches the engine sets.
"""
import argparse
import ctypes
import json
import math
import os
import resource
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "Model.Tests", "python"))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import semanticmim_reference as ref  # noqa: E402


class _NvmlMemory(ctypes.Structure):
    _fields_ = [("total", ctypes.c_ulonglong), ("free", ctypes.c_ulonglong), ("used", ctypes.c_ulonglong)]


def nvml_used_bytes():
    """GPU 0's used memory by NVML, as gpucheck's PeakMemory reads it; None without NVML."""
    try:
        nvml = ctypes.CDLL("libnvidia-ml.so.1")
        device = ctypes.c_void_p()
        memory = _NvmlMemory()
        if nvml.nvmlInit_v2() or nvml.nvmlDeviceGetHandleByIndex_v2(0, ctypes.byref(device)) \
                or nvml.nvmlDeviceGetMemoryInfo(device, ctypes.byref(memory)):
            return None
        return memory.used
    except OSError:
        return None


BASELINE = nvml_used_bytes()  # before this process touches CUDA


def peak_memory(device):
    """The run's peak as gpucheck measures it: GPU used memory less the baseline, or the CPU's peak resident set."""
    if device.type == "cuda":
        used = nvml_used_bytes()
        return None if used is None or BASELINE is None else used - BASELINE
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _sdpa_attention(self, q_in, kv_in):
    """The reference's attention with the fused kernel in place of explicit probabilities (returned as None)."""
    batch, tq, dim = q_in.shape
    tk = kv_in.shape[1]
    if self.flavour == "beit":
        q = F.linear(q_in, self.q_proj.weight, self.q_bias)
        kv = F.linear(kv_in, self.kv_proj.weight, torch.cat([torch.zeros_like(self.v_bias), self.v_bias]))
    else:
        q = self.q_proj(q_in)
        kv = self.kv_proj(kv_in)
    q = q.view(batch, tq, self.num_heads, self.head_dim).transpose(1, 2)
    k, v = kv.view(batch, tk, 2, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
    out = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(batch, tq, dim)
    return self.proj(out), None


if hasattr(F, "scaled_dot_product_attention"):
    ref.Attention.forward = _sdpa_attention


class Pretraining(nn.Module):
    """BEiT + SemanticMIM: the reference proxy encoder and a linear head over the vocabulary."""

    def __init__(self, args):
        super().__init__()
        self.backbone = ref.Encoder({
            "kind": "encoder", "method": "proxy", "flavour": "beit", "img_size": args.image, "patch_size": args.patch,
            "in_channels": 3, "embed_dim": args.dim, "depth": args.depth, "num_heads": args.heads,
            "mlp_dim": args.mlp, "num_proxies": args.proxies, "layer_scale": 0.1, "ln_eps": 1e-6})
        self.head = nn.Linear(args.dim, args.vocab)
        with torch.no_grad():
            for name, p in self.named_parameters():
                if p.dim() >= 2 or name.endswith(("cls_token", "pos_embed", "mask_token")):
                    nn.init.trunc_normal_(p, std=0.02)
                elif name.endswith("bias"):
                    p.zero_()

    def loss(self, images, mask, targets):
        masked = self.backbone(images, mask)["masked"]
        _, masked_positions = ref.Encoder._split(mask)
        logits = self.head(masked).flatten(0, 1).float()
        return F.cross_entropy(logits, torch.gather(targets, 1, masked_positions).flatten())


def decayed(name, p):
    """BEiT's rule (src/Training/ParameterGroups.cs): no decay on biases, norms, q/v bias, tokens, pos_embed, gammas."""
    last = name.split(".")[-1]
    is_norm = any(s.startswith("ln") or "norm" in s for s in name.split("."))
    return not (last == "bias" or last.endswith("_bias") or is_norm or last in ("cls_token", "pos_embed")
                or last.startswith("gamma"))


def train(args, device):
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.manual_seed(0)
    model = Pretraining(args).to(device)
    named = list(model.named_parameters())
    optimizer = torch.optim.AdamW([
        {"params": [p for n, p in named if decayed(n, p)], "weight_decay": 0.05},
        {"params": [p for n, p in named if not decayed(n, p)], "weight_decay": 0.0}], lr=1.5e-3, betas=(0.9, 0.999), eps=1e-8)
    generator = torch.Generator().manual_seed(3)
    patches = (args.image // args.patch) ** 2
    masked = math.ceil(patches * args.mask_ratio)
    pool_images = torch.randn(args.batch, 3, args.image, args.image, generator=generator)
    pool_targets = torch.randint(0, args.vocab, (args.batch, patches), generator=generator)
    total = args.warmup + args.steps
    losses = []

    def step(index):
        lr = 1.5e-5 + (1.5e-3 - 1.5e-5) * (1 + math.cos(math.pi * index / total)) / 2
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.zero_grad()
        order = torch.randperm(args.batch, generator=generator)
        mask = torch.zeros(args.batch, patches, dtype=torch.bool)
        for row in range(args.batch):
            mask[row, torch.randperm(patches, generator=generator)[:masked]] = True
        images = pool_images.index_select(0, order).to(device)
        targets = pool_targets.index_select(0, order).to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.precision == "bf16"):
            loss = model.loss(images, mask.to(device), targets)
        value = loss.item()
        if not math.isfinite(value):
            raise RuntimeError(f"loss {value} at step {index + 1}")
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 3.0)
        optimizer.step()
        losses.append(value)

    for index in range(args.warmup):
        step(index)
    synchronize(device)
    start = time.perf_counter()
    for index in range(args.warmup, total):
        step(index)
    synchronize(device)
    seconds = time.perf_counter() - start
    result = {
        "precision": args.precision, "tf32": args.tf32, "batch": args.batch, "steps": args.steps, "seconds": seconds,
        "step_seconds": seconds / args.steps, "images_per_second": args.batch * args.steps / seconds,
        "peak_memory_bytes": peak_memory(device), "first_loss": losses[0], "last_loss": losses[-1]}
    if device.type == "cuda":
        result["max_memory_allocated_bytes"] = torch.cuda.max_memory_allocated(device)
    return result


def tokens(args, device):
    generator = torch.Generator().manual_seed(5)
    images = torch.rand(args.batch, 3, args.image, args.image, generator=generator).to(device)
    if args.kind == "hog":
        pool, window = (8, 16) if args.patch == 16 else (args.patch // 2, args.patch)

        def compute(x):
            return ref.hog_features(x, 9, pool, window, args.patch)
    else:
        torch.manual_seed(5)
        encoder = ref.DalleEncoder({"n_hid": args.dalle_hidden, "vocab_size": args.vocab})
        ref.random_init(encoder, {"seed": 5})
        encoder = encoder.to(device).eval()

        def compute(x):
            return encoder(x * 0.8 + 0.1).argmax(1).flatten(1)
    with torch.no_grad():
        for _ in range(args.warmup):
            compute(images)
        synchronize(device)
        start = time.perf_counter()
        for _ in range(args.iterations):
            compute(images)
        synchronize(device)
    seconds = time.perf_counter() - start
    return {"kind": args.kind, "batch": args.batch, "image_size": args.image, "iterations": args.iterations,
            "seconds": seconds, "images_per_second": args.batch * args.iterations / seconds}


def matmul(args, device):
    """Dense bf16 matmul rate on random data: the peak that MFU is measured against."""
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    a = torch.randn(args.size, args.size, device=device, dtype=dtype)
    b = torch.randn(args.size, args.size, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    synchronize(device)
    start = time.perf_counter()
    for _ in range(args.iterations):
        a @ b
    synchronize(device)
    seconds = time.perf_counter() - start
    return {"dtype": str(dtype).replace("torch.", ""), "size": args.size, "iterations": args.iterations,
            "flops_per_second": 2.0 * args.size ** 3 * args.iterations / seconds}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["train", "tokens", "matmul"])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    parser.add_argument("--tf32", type=lambda v: {"true": True, "false": False}[v.lower()], default=True)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--image", type=int, default=224)
    parser.add_argument("--patch", type=int, default=16)
    parser.add_argument("--dim", type=int, default=768)
    parser.add_argument("--depth", type=int, default=12)
    parser.add_argument("--heads", type=int, default=12)
    parser.add_argument("--mlp", type=int, default=3072)
    parser.add_argument("--proxies", type=int, default=8)
    parser.add_argument("--vocab", type=int, default=8192)
    parser.add_argument("--mask-ratio", type=float, default=0.6)
    parser.add_argument("--kind", choices=["hog", "dalle"], default="hog")
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--dalle-hidden", type=int, default=256)
    parser.add_argument("--size", type=int, default=8192)
    args = parser.parse_args(argv[1:])
    device = torch.device(args.device)
    result = {"train": train, "tokens": tokens, "matmul": matmul}[args.command](args, device)
    result.update({"command": args.command, "device": str(device), "torch": torch.__version__})
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

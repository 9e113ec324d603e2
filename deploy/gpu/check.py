#!/usr/bin/env python3
"""Runs the GPU check's measurements, each in its own process, and writes one JSON file (deploy/gpu/README.md).

    check.py --gpucheck PATH --libtorch DIR --out FILE [--device cuda] [--tiny] [--budget 270] [--max-pairs 3]

PATH is the unpacked bundle's gpucheck; DIR the libtorch it loads (put on LD_LIBRARY_PATH for it alone). The PyTorch
peer (peer.py beside this file) runs under this interpreter. Order: smoke, numerics, the bf16 matmul rate, the batch
search, the first training pair, tokens, resume, then further training pairs while the budget allows (at most
--max-pairs). A pair runs fp32+TF32 and bf16, each side in its own process, project first in odd pairs and the peer
first in even ones. --tiny shrinks every workload to run on a CPU in a minute or two.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = {"image": 224, "patch": 16, "dim": 768, "depth": 12, "heads": 12, "mlp": 3072, "proxies": 8, "vocab": 8192}
TINY = {"image": 32, "patch": 4, "dim": 64, "depth": 2, "heads": 2, "mlp": 128, "proxies": 8, "vocab": 64}
PRECISIONS = [("fp32-tf32", "fp32"), ("bf16", "bf16")]


def shape_args(shape):
    return [item for key, value in shape.items() for item in (f"--{key}", str(value))]


class Runner:
    """Starts one measurement per process and keeps its JSON result, or the reason it failed."""

    def __init__(self, args):
        self.args = args
        self.errors = []
        self.project_env = dict(os.environ)
        self.project_env["LD_LIBRARY_PATH"] = os.pathsep.join(
            p for p in [args.libtorch, os.environ.get("LD_LIBRARY_PATH", "")] if p)

    def run(self, side, command, options, env=None):
        if side == "project":
            argv = [self.args.gpucheck, command, "--device", self.args.device] + options
            environment = dict(self.project_env, **(env or {}))
        else:
            argv = [sys.executable, os.path.join(HERE, "peer.py"), command, "--device", self.args.device] + options
            environment = dict(os.environ, **(env or {}))
        started = time.monotonic()
        process = subprocess.run(argv, capture_output=True, text=True, env=environment)
        sys.stderr.write(process.stderr)
        lines = process.stdout.strip().splitlines()
        if process.returncode != 0 or not lines:
            self.errors.append({"side": side, "command": command, "options": options, "exit_code": process.returncode,
                                "stderr_tail": process.stderr[-2000:]})
            print(f"FAILED {side} {command} (exit {process.returncode})", file=sys.stderr)
            return None
        result = json.loads(lines[-1])
        result["process_seconds"] = time.monotonic() - started
        print(f"{side} {command}: {json.dumps(result)}", file=sys.stderr)
        return result


def ratio(project, peer):
    values = [a / b for a, b in zip(project, peer) if a is not None and b]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def pair_entry(name, unit, project, peer, **extra):
    entry = {"name": name, "unit": unit, "project": project, "peer": peer, "ratio": ratio(project, peer)}
    entry.update(extra)
    return entry


def machine():
    info = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            info["cpu"] = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    if shutil.which("nvidia-smi"):
        query = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
                               capture_output=True, text=True)
        if query.returncode == 0 and query.stdout.strip():
            name, memory, driver = [part.strip() for part in query.stdout.strip().splitlines()[0].split(",")]
            info.update({"gpu": name, "gpu_memory": memory, "driver": driver})
    return info


def versions(smoke):
    import torch  # the peer's PyTorch; imported here only for its version strings, without touching CUDA
    found = {"torch": torch.__version__, "cuda": torch.version.cuda, "python": platform.python_version()}
    if smoke:
        found.update({"torchsharp": smoke.get("torch_sharp"), "dotnet": smoke.get("dot_net")})
    return found, torch.get_num_threads()


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gpucheck", required=True)
    parser.add_argument("--libtorch", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--tiny", action="store_true")
    parser.add_argument("--budget", type=float, default=270, help="seconds; no training pair starts past it")
    parser.add_argument("--max-pairs", type=int, default=3)
    parser.add_argument("--symbols", help="missing-symbols.sh's report, copied into the JSON")
    args = parser.parse_args(argv[1:])
    started = time.monotonic()
    runner = Runner(args)
    shape = TINY if args.tiny else BASE
    steps, warmup = (5, 1) if args.tiny else (50, 3)
    ladder = "8,16" if args.tiny else "64,128,256"

    smoke = runner.run("project", "smoke", [])
    report_versions, threads = versions(smoke)
    report = {"machine": machine(), "threads": threads, "versions": report_versions,
              "settings": {"device": args.device, "model": shape, "steps": steps, "warmup": warmup, "ladder": ladder,
                           "method": "BEiT + SemanticMIM, mask ratio 0.6"},
              "checks": {"smoke": smoke}, "pairs": [], "errors": runner.errors}
    if args.symbols and os.path.exists(args.symbols):
        with open(args.symbols) as symbols:
            report["checks"]["missing_symbols"] = symbols.read().splitlines()

    def write():
        report["seconds"] = time.monotonic() - started
        with open(args.out, "w") as out:
            json.dump(report, out, indent=2)

    if not smoke or not smoke.get("passed"):
        report["summary"] = "the .NET side does not run on this machine's libtorch: see checks.missing_symbols and errors"
        write()
        return 1

    report["checks"]["numerics"] = runner.run("project", "numerics", shape_args(shape) + ["--batch", "4"])
    peak = runner.run("peer", "matmul", ["--size", "512" if args.tiny else "8192", "--iterations", "5" if args.tiny else "50"])
    report["checks"]["matmul"] = peak
    fit = runner.run("project", "fit", shape_args(shape) + ["--ladder", ladder])
    batches = {f["precision"]: f["batch"] for f in (fit or {}).get("fits", []) if f.get("batch")}
    report["settings"]["batch"] = batches
    report["checks"]["fit"] = fit

    runs = {name: {"project": [], "peer": []} for name, _ in PRECISIONS}

    def training_pair(index):
        for name, precision in PRECISIONS:
            batch = batches.get(precision)
            if not batch:
                continue
            options = shape_args(shape) + ["--precision", precision, "--tf32", "true", "--batch", str(batch),
                                           "--steps", str(steps), "--warmup", str(warmup)]
            order = ["project", "peer"] if index % 2 == 0 else ["peer", "project"]
            for side in order:
                runs[name][side].append(runner.run(side, "train", options))

    clock = time.monotonic()
    training_pair(0)
    pair_seconds = time.monotonic() - clock

    token_runs = {}
    for kind, options in [("hog", ["--image", str(shape["image"]), "--patch", str(shape["patch"]), "--batch", "8" if args.tiny else "64"]),
                          ("dalle", ["--image", str(shape["image"] // 2), "--batch", "2" if args.tiny else "64",
                                     "--dalle-hidden", "16" if args.tiny else "256", "--vocab", str(shape["vocab"])])]:
        options = ["--kind", kind, "--iterations", "3" if args.tiny else "20"] + options
        token_runs[kind] = {side: [runner.run(side, "tokens", options)] for side in ("project", "peer")}

    resume_shape = shape if args.tiny else dict(shape, dim=384, heads=6, mlp=1536)
    report["checks"]["resume"] = runner.run("project", "resume", shape_args(resume_shape) + ["--batch", "4" if args.tiny else "32"],
                                            env={"CUBLAS_WORKSPACE_CONFIG": ":4096:8"})

    for index in range(1, args.max_pairs):
        remaining = args.budget - (time.monotonic() - started)
        if remaining < pair_seconds * 1.1:
            print(f"pair {index + 1} skipped: {remaining:.0f} s of the budget left, a pair took {pair_seconds:.0f} s", file=sys.stderr)
            break
        training_pair(index)

    rate = (peak or {}).get("flops_per_second")
    summary = []
    for name, _ in PRECISIONS:
        sides = runs[name]
        if not sides["project"]:
            continue
        seconds = {side: [r["step_seconds"] if r else None for r in sides[side]] for side in sides}
        memory = {side: [r.get("peak_memory_bytes") if r else None for r in sides[side]] for side in sides}
        throughput = {side: [r["images_per_second"] if r else None for r in sides[side]] for side in sides}
        flops = next((r["flops_per_step"] for r in sides["project"] if r), None)
        mfu = {side: [flops / s / rate if s and flops and rate else None for s in seconds[side]] for side in sides}
        report["pairs"].append(pair_entry(f"train-{name}-step", "s", seconds["project"], seconds["peer"],
                                          batch=batches.get(dict(PRECISIONS)[name]), images_per_second=throughput, mfu=mfu,
                                          flops_per_step=flops))
        report["pairs"].append(pair_entry(f"train-{name}-peak-memory", "bytes", memory["project"], memory["peer"]))
        step_ratio = report["pairs"][-2]["ratio"]
        memory_ratio = report["pairs"][-1]["ratio"]
        good = [x for x in throughput["project"] if x]
        good_mfu = [x for x in mfu["project"] if x]
        if good and step_ratio:
            summary.append(f"{name}: {statistics.median(good):.0f} images/s, {step_ratio['median']:.2f}x PyTorch's step time"
                           + (f", MFU {statistics.median(good_mfu):.1%}" if good_mfu else "")
                           + (f", {memory_ratio['median']:.2f}x its peak memory" if memory_ratio else ""))
    for kind, sides in token_runs.items():
        per_image = {side: [1 / r["images_per_second"] if r else None for r in sides[side]] for side in sides}
        throughput = {side: [r["images_per_second"] if r else None for r in sides[side]] for side in sides}
        report["pairs"].append(pair_entry(f"tokens-{kind}", "s/image", per_image["project"], per_image["peer"],
                                          images_per_second=throughput))
        if throughput["project"][0] and throughput["peer"][0]:
            summary.append(f"{kind} targets: {throughput['project'][0]:.0f} images/s, PyTorch {throughput['peer'][0]:.0f}")

    gpu = report["machine"].get("gpu", report["machine"]["cpu"])
    report["summary"] = f"{gpu}: " + "; ".join(summary)
    verdicts = {name: bool((report["checks"].get(name) or {}).get("passed")) for name in ("numerics", "resume")}
    report["passed"] = all(verdicts.values()) and not runner.errors
    write()
    print(report["summary"])
    print(", ".join(f"{name} {'passed' if ok else 'FAILED'}" for name, ok in verdicts.items())
          + f", {len(runner.errors)} failed runs; {args.out} written in {report['seconds']:.0f} s")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/python3
"""The PyTorch/torchvision side of each pair of `semanticmim benchmark suite`: what a user would pick instead of
the project's code, doing the same work on the same input, in its own process.

Usage: /usr/bin/python3 peers.py SIDE_SPEC.json

The side spec (written by the suite, read by both sides) names the pair's kind, the thread count, the warm-up and
timed steps and the inputs; the result JSON (same shape as the project side's) goes to spec["result"]: the seconds
of every step, the resident memory after every step and the process's peak (VmHWM).

The model, HOG and DALL-E encoder are the tests' independent PyTorch reference (semanticmim_reference.py,
copied next to this file by the build). PyTorch 1.13 has no scaled_dot_product_attention, so the reference's
attention is written by hand (matmul, softmax, matmul): the best it has.
"""
import io
import json
import math
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import safetensors_io  # noqa: E402
import semanticmim_reference as ref  # noqa: E402


def status_bytes(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


class Recorder:
    """Times steps (warm-up first, not timed) and records VmRSS after every step."""

    def __init__(self, spec, description, items_per_step):
        self.spec = spec
        self.description = description
        self.items_per_step = items_per_step
        self.warmup_seconds = []
        self.step_seconds = []
        self.rss = []
        self.extra = {}

    def run(self, step):
        for i in range(self.spec["warmup"] + self.spec["steps"]):
            start = time.perf_counter()
            step()
            seconds = time.perf_counter() - start
            (self.warmup_seconds if i < self.spec["warmup"] else self.step_seconds).append(seconds)
            self.rss.append(status_bytes("VmRSS"))

    def write(self):
        versions = {"pytorch": torch.__version__, "python": sys.version.split()[0]}
        # The peer runs on the allocator a user's PyTorch gets (glibc's), whatever the project side preloads.
        with open("/proc/self/maps") as maps:
            versions["allocator"] = "tcmalloc" if "libtcmalloc" in maps.read() else "glibc"
        try:
            import torchvision
            versions["torchvision"] = torchvision.__version__
        except ImportError:
            pass
        result = {
            "side": "peer",
            "description": self.description,
            "itemsPerStep": self.items_per_step,
            "warmupSeconds": self.warmup_seconds,
            "stepSeconds": self.step_seconds,
            "rssAfterStepBytes": self.rss,
            "vmHwmBytes": status_bytes("VmHWM"),
            "threads": torch.get_num_threads(),
            "versions": versions,
            "extra": self.extra,
        }
        with open(self.spec["result"], "w") as f:
            json.dump(result, f)


def encoder_config(spec, method):
    m = spec["model"]
    return {
        "kind": "encoder", "method": method, "flavour": m["flavour"], "img_size": m["imageSize"],
        "patch_size": m["patchSize"], "in_channels": 3, "embed_dim": m["embedDim"], "depth": m["depth"],
        "num_heads": m["heads"], "mlp_dim": m["mlpDim"], "num_proxies": m["proxies"], "seed": 0,
    }


def train(spec):
    """One pretraining update: masked forward, linear head, MSE on the masked HOG targets, backward, global-norm
    clipping, AdamW with the MaskFeat weight-decay groups (as the project's engine)."""
    m = spec["model"]
    method = "proxy" if m["method"] == "semanticMim" else "joint"
    torch.manual_seed(0)
    encoder = ref.Encoder(encoder_config(spec, method))
    head = torch.nn.Linear(m["embedDim"], m["targetDim"])
    modules = torch.nn.ModuleDict({"backbone": encoder, "head": head})
    decayed, plain = [], []
    for name, p in modules.named_parameters():
        last = name.split(".")[-1]
        norm = any(s.startswith("ln") or "norm" in s for s in name.split("."))
        (plain if last == "bias" or last.endswith("_bias") or norm or p.dim() <= 1 or last == "mask_token"
         else decayed).append(p)
    optimizer = torch.optim.AdamW([{"params": decayed, "weight_decay": m["weightDecay"]},
                                   {"params": plain, "weight_decay": 0.0}], lr=m["learningRate"])
    batch = spec["batch"]
    n = (m["imageSize"] // m["patchSize"]) ** 2
    masked = math.ceil(n * m["maskRatio"])
    generator = torch.Generator().manual_seed(1)
    images = torch.randn(batch, 3, m["imageSize"], m["imageSize"], generator=generator)
    targets = torch.rand(batch, n, m["targetDim"], generator=generator)
    modules.train()
    losses = []
    # The project's phases (StepPhases): the batch is fixed here, so data is 0; update is the rest of the step.
    phases = {"data": [], "forward": [], "backward": [], "update": []}

    def step():
        start = time.perf_counter()
        mask = torch.zeros(batch, n, dtype=torch.uint8)
        mask.scatter_(1, torch.rand(batch, n).argsort(1)[:, :masked], 1)
        optimizer.zero_grad(set_to_none=True)
        forward_start = time.perf_counter()
        out = encoder(images, mask)
        predictions = head(out["masked"])
        _, masked_index = ref.Encoder._split(mask)
        selected = torch.gather(targets, 1, masked_index.unsqueeze(-1).expand(-1, -1, targets.shape[-1]))
        loss = F.mse_loss(predictions, selected)
        losses.append(loss.item())
        backward_start = time.perf_counter()
        loss.backward()
        backward_end = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(modules.parameters(), m["gradClip"])
        optimizer.step()
        end = time.perf_counter()
        phases["data"].append(0.0)
        phases["forward"].append(backward_start - forward_start)
        phases["backward"].append(backward_end - backward_start)
        phases["update"].append((end - start) - (backward_end - forward_start))

    recorder = Recorder(spec, "PyTorch 1.13 reference model (tests/Model.Tests/python), hand-written attention "
                              "(matmul-softmax-matmul: 1.13 has no scaled_dot_product_attention), AdamW, "
                              "clip_grad_norm_", batch)
    recorder.run(step)
    recorder.extra["losses"] = losses
    recorder.extra["phaseSeconds"] = {phase: seconds[spec["warmup"]:] for phase, seconds in phases.items()}
    recorder.extra["parameters"] = sum(p.numel() for p in modules.parameters())
    recorder.write()


def normalize_transform(transforms):
    return transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])


def loader(spec):
    """torchvision ImageFolder + DataLoader over the same JPEGs: RandomResizedCrop (the spec's scale range, bicubic),
    flip, ToTensor, normalise; as many worker processes as the project's loader has threads."""
    import torchvision
    from torchvision import transforms
    transform = transforms.Compose([
        transforms.RandomResizedCrop(spec["imageSize"], scale=(spec["minScale"], 1.0),
                                     interpolation=transforms.InterpolationMode.BICUBIC),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        normalize_transform(transforms),
    ])
    dataset = torchvision.datasets.ImageFolder(spec["imageFolder"], transform=transform)
    # One shuffled pass long enough for every step, as an ImageNet epoch is: the small generated set would otherwise
    # end an epoch every few batches, and each new epoch's iterator starts with empty prefetch queues.
    steps = spec["warmup"] + spec["steps"]
    sampler = torch.utils.data.RandomSampler(dataset, num_samples=steps * spec["batch"])
    data = torch.utils.data.DataLoader(dataset, batch_size=spec["batch"], sampler=sampler, num_workers=spec["threads"],
                                       drop_last=True)
    iterator = iter(data)

    def step():
        images, _ = next(iterator)
        assert images.shape[0] == spec["batch"]

    recorder = Recorder(spec, f"torchvision ImageFolder + DataLoader ({spec['threads']} worker processes, "
                              "RandomResizedCrop bicubic, flip, ToTensor, Normalize; peak memory of the main process "
                              "only, the workers' is not counted)", spec["batch"])
    recorder.run(step)
    recorder.write()


def image_files(folder):
    return [os.path.join(root, name) for root, _, names in sorted(os.walk(folder)) for name in sorted(names)]


def hog(spec):
    """Target computation as the project's stage does it: decode, V RandomResizedCrop views (bicubic) at the model's
    input size, normalise, then the vectorised convolution-based HOG of the reference on the whole batch, stored
    as float16."""
    from PIL import Image
    from torchvision import transforms
    import torchvision.transforms.functional as TF
    files = image_files(spec["imageFolder"])
    encoded = [open(path, "rb").read() for path in files]
    size, views, batch = spec["imageSize"], spec["views"], spec["batch"]
    crop = transforms.RandomResizedCrop(size, scale=(spec["minScale"], 1.0))
    normalize = normalize_transform(transforms)
    h = spec["hog"]
    state = {"next": 0}

    def step():
        rendered = []
        for _ in range(batch):
            image = Image.open(io.BytesIO(encoded[state["next"] % len(encoded)])).convert("RGB")
            state["next"] += 1
            for _ in range(views):
                top, left, height, width = crop.get_params(image, crop.scale, crop.ratio)
                view = TF.resized_crop(image, top, left, height, width, [size, size],
                                       interpolation=transforms.InterpolationMode.BICUBIC)
                if torch.rand(1).item() < 0.5:
                    view = TF.hflip(view)
                rendered.append(normalize(TF.to_tensor(view)))
        with torch.no_grad():
            features = ref.hog_features(torch.stack(rendered), h["bins"], h["cell"], h["window"], h["patch"])
        features.half()

    recorder = Recorder(spec, f"PIL decode + torchvision resized_crop views + the reference's vectorised PyTorch HOG "
                              f"(conv2d Sobel, scatter_add bins, {h['bins']} bins, {h['cell']}-px cells, "
                              f"{h['window']}-px window), float16", batch)
    recorder.run(step)
    recorder.write()


def dalle(spec):
    """DALL-E encoder tokens: the reference encoder with the same weights (random, of the released shape), logits then
    argmax, on [0, 1] images mapped as DALL-E does."""
    weights, _ = safetensors_io.load(spec["dalleWeights"])
    model = ref.DalleEncoder({"kind": "dalle"})
    ref.load_strict(model, weights)
    model.eval()
    generator = torch.Generator().manual_seed(1)
    images = torch.rand(spec["batch"], 3, spec["imageSize"], spec["imageSize"], generator=generator)

    def step():
        with torch.no_grad():
            model(images * 0.8 + 0.1).argmax(1).flatten(1)

    recorder = Recorder(spec, "the reference DALL-E encoder in PyTorch with the same weights (random, released shape), "
                              "eval mode, no_grad", spec["batch"])
    recorder.run(step)
    recorder.write()


def features(spec):
    """Evaluation features: the ViT in eval mode without gradients, then LN(mean of patches) and LN(mean of the
    proxies) of every layer, as the linear probe's precomputed mode."""
    torch.manual_seed(0)
    model = ref.Encoder(encoder_config(spec, "vit"))
    model.eval()
    proxies = spec["model"]["proxies"]
    generator = torch.Generator().manual_seed(1)
    size = spec["model"]["imageSize"]
    images = torch.randn(spec["batch"], 3, size, size, generator=generator)

    def step():
        with torch.no_grad():
            out = model(images)
            for i in range(spec["model"]["depth"]):
                tokens = out[f"layer.{i}"]
                F.layer_norm(tokens[:, proxies:].mean(1), (tokens.shape[-1],))
                F.layer_norm(tokens[:, :proxies].mean(1), (tokens.shape[-1],))

    recorder = Recorder(spec, "the reference ViT in PyTorch, eval mode, no_grad, hand-written attention, pooled "
                              "features of every layer", spec["batch"])
    recorder.run(step)
    recorder.write()


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        spec = json.load(f)
    torch.set_num_threads(spec["threads"])
    {"train": train, "loader": loader, "hog": hog, "dalle": dalle, "features": features}[spec["kind"]](spec)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

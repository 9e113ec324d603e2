#!/usr/bin/python3
"""Independent PyTorch reference for the SemanticMIM port (written from
/work/shared/docs/semanticmim-spec.md sections (a), (b), (c)).

Usage:
    /usr/bin/python3 semanticmim_reference.py forward CASE_DIR
    /usr/bin/python3 semanticmim_reference.py init CASE_DIR
    /usr/bin/python3 semanticmim_reference.py inputs CASE_DIR   (extra: random inputs.safetensors)

CASE_DIR/config.json selects "kind": "encoder" | "hog" | "dalle".
forward reads weights.safetensors (not needed for hog) and inputs.safetensors and
writes outputs.safetensors. init writes weights.safetensors from a seeded random
initialisation. Exit codes: 2 bad config/inputs, 3 weight names/shapes mismatch.
"""
import json
import math
import os
import sys
from collections import OrderedDict

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import safetensors_io  # noqa: E402


class ConfigError(Exception):
    pass


# ----------------------------------------------------------------------------
# ViT encoder (BEiT / MaskFeat flavoured blocks)
# ----------------------------------------------------------------------------
class Attention(nn.Module):
    def __init__(self, dim, num_heads, flavour):
        super().__init__()
        if dim % num_heads:
            raise ConfigError("embed_dim must be divisible by num_heads")
        self.dim = dim
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim ** -0.5
        self.flavour = flavour
        full_bias = flavour == "maskfeat"
        self.q_proj = nn.Linear(dim, dim, bias=full_bias)
        self.kv_proj = nn.Linear(dim, 2 * dim, bias=full_bias)
        self.proj = nn.Linear(dim, dim, bias=True)
        if flavour == "beit":
            self.q_bias = nn.Parameter(torch.zeros(dim))
            self.v_bias = nn.Parameter(torch.zeros(dim))

    def forward(self, q_in, kv_in):
        """q_in (B,Tq,D) and kv_in (B,Tk,D) are already normalised. Returns (out, probs)."""
        B, Tq, D = q_in.shape
        Tk = kv_in.shape[1]
        if self.flavour == "beit":
            q = F.linear(q_in, self.q_proj.weight, self.q_bias)
            kv_bias = torch.cat([torch.zeros_like(self.v_bias), self.v_bias])
            kv = F.linear(kv_in, self.kv_proj.weight, kv_bias)
        else:
            q = self.q_proj(q_in)
            kv = self.kv_proj(kv_in)
        k, v = kv[..., :D], kv[..., D:]
        H, hd = self.num_heads, self.head_dim
        q = q.reshape(B, Tq, H, hd).transpose(1, 2)  # (B,H,Tq,hd)
        k = k.reshape(B, Tk, H, hd).transpose(1, 2)
        v = v.reshape(B, Tk, H, hd).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-2, -1)) * self.scale
        probs = torch.softmax(scores, dim=-1)
        out = torch.matmul(probs, v).transpose(1, 2).reshape(B, Tq, D)
        return self.proj(out), probs


class FFN(nn.Module):
    def __init__(self, dim, mlp_dim):
        super().__init__()
        # keys: layers.0.0.{weight,bias} (fc1), layers.1.{weight,bias} (fc2)
        self.layers = nn.Sequential(
            nn.Sequential(nn.Linear(dim, mlp_dim), nn.GELU()),
            nn.Linear(mlp_dim, dim),
        )

    def forward(self, x):
        return self.layers(x)


class Block(nn.Module):
    def __init__(self, dim, num_heads, mlp_dim, flavour, layer_scale, eps):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, num_heads, flavour)
        self.ln2 = nn.LayerNorm(dim, eps=eps)
        self.ffn = FFN(dim, mlp_dim)
        self.has_gamma = flavour == "beit"
        if self.has_gamma:
            self.gamma_1 = nn.Parameter(torch.full((dim,), float(layer_scale)))
            self.gamma_2 = nn.Parameter(torch.full((dim,), float(layer_scale)))

    def forward(self, q, kv=None):
        """Block(q, kv); kv=None means self-attention (kv = q). Returns (new q, attention probs)."""
        qn = self.ln1(q)
        kvn = qn if kv is None else self.ln1(kv)  # the SAME ln1 normalises q and kv
        a, probs = self.attn(qn, kvn)
        q = q + (self.gamma_1 * a if self.has_gamma else a)
        f = self.ffn(self.ln2(q))
        q = q + (self.gamma_2 * f if self.has_gamma else f)
        return q, probs


class PatchEmbed(nn.Module):
    def __init__(self, in_channels, dim, patch):
        super().__init__()
        self.projection = nn.Conv2d(in_channels, dim, kernel_size=patch, stride=patch)

    def forward(self, x):
        x = self.projection(x)  # (B,D,gh,gw)
        return x.flatten(2).transpose(1, 2)  # (B,N,D), row-major over the grid


class Encoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        img, p = int(cfg["img_size"]), int(cfg["patch_size"])
        if img % p:
            raise ConfigError("img_size must be divisible by patch_size")
        self.method = cfg["method"]
        self.flavour = cfg["flavour"]
        if self.method not in ("vit", "joint", "proxy"):
            raise ConfigError(f"unknown method {self.method!r}")
        if self.flavour not in ("beit", "maskfeat"):
            raise ConfigError(f"unknown flavour {self.flavour!r}")
        D = int(cfg["embed_dim"])
        P = int(cfg["num_proxies"])
        depth = int(cfg["depth"])
        heads = int(cfg["num_heads"])
        mlp = int(cfg["mlp_dim"])
        eps = float(cfg.get("ln_eps", 1e-6))
        ls = float(cfg.get("layer_scale", 0.1))
        self.img_size, self.patch, self.P, self.D = img, p, P, D
        self.num_patches = (img // p) ** 2
        self.patch_embed = PatchEmbed(int(cfg["in_channels"]), D, p)
        self.cls_token = nn.Parameter(torch.zeros(1, P, D))
        self.pos_embed = nn.Parameter(torch.zeros(1, P + self.num_patches, D))
        mk = lambda: Block(D, heads, mlp, self.flavour, ls, eps)  # noqa: E731
        self.layers = nn.ModuleList([mk() for _ in range(depth)])
        if self.method in ("joint", "proxy"):
            self.mask_token = nn.Parameter(torch.zeros(1, 1, D))
            self.ln1 = nn.LayerNorm(D, eps=eps)
        if self.method == "proxy":
            self.extra_layers = nn.ModuleList([mk() for _ in range(depth)])

    def _embed(self, images):
        B, _, H, W = images.shape
        if H != self.img_size or W != self.img_size:
            raise ConfigError(f"images are {H}x{W}, config img_size is {self.img_size}")
        E = self.patch_embed(images) + self.pos_embed[:, self.P:]
        X = (self.cls_token + self.pos_embed[:, :self.P]).expand(B, -1, -1)
        return X, E

    @staticmethod
    def _split(mask):
        """Visible / masked indices per row, both ascending; every row must have the same count."""
        m = mask.to(torch.int64)
        counts = m.sum(1)
        if (counts != counts[0]).any():
            raise ConfigError("every mask row must have the same number of ones")
        n_m = int(counts[0])
        order = torch.sort(m, dim=1, stable=True).indices  # zeros (visible) first, each group ascending
        n_v = m.shape[1] - n_m
        return order[:, :n_v], order[:, n_v:]

    @staticmethod
    def _gather(x, idx):
        return torch.gather(x, 1, idx.unsqueeze(-1).expand(-1, -1, x.shape[-1]))

    def forward(self, images, mask=None):
        out = OrderedDict()
        X, E = self._embed(images)
        if self.method == "vit":
            h = torch.cat([X, E], dim=1)
            for i, blk in enumerate(self.layers):
                h, probs = blk(h)
                out[f"layer.{i}"] = h
                out[f"attn.{i}"] = probs
            return out
        if mask is None:
            raise ConfigError(f"method {self.method} needs a mask input")
        if mask.shape != (images.shape[0], self.num_patches):
            raise ConfigError(f"mask shape {tuple(mask.shape)} != (B, {self.num_patches})")
        vis_idx, msk_idx = self._split(mask)
        I = self._gather(E, vis_idx)
        M = self._gather((self.mask_token + self.pos_embed[:, self.P:]).expand(E.shape[0], -1, -1), msk_idx)
        n_m = M.shape[1]
        if self.method == "joint":
            h = torch.cat([X, I, M], dim=1)
            for blk in self.layers:
                h, _ = blk(h)
            h = self.ln1(h)
            out["masked"] = h[:, h.shape[1] - n_m:]
            return out
        # proxy (SemanticMIM)
        h = torch.cat([X, I], dim=1)
        for blk, xblk in zip(self.layers, self.extra_layers):
            h, _ = blk(h)
            X_new = h[:, :self.P]
            M, _ = xblk(M, torch.cat([X_new, M], dim=1))
        out["masked"] = self.ln1(M)
        out["visible"] = h
        return out


# ----------------------------------------------------------------------------
# HOG target (MaskFeat)
# ----------------------------------------------------------------------------
def gaussian_kernel_2d(G, device=None):
    n = torch.arange(G, dtype=torch.float32, device=device)
    w = torch.exp(-0.5 * ((n - (G - 1) / 2.0) / (G / 2.0)) ** 2)
    k = torch.outer(w, w)
    return k / k.sum()


def hog_features(images, nbins, pool, gaussian_window, patch):
    B, C, H, W = images.shape
    if H % patch or W % patch or patch % pool:
        raise ConfigError("H, W must be divisible by patch_size and patch_size by pool")
    if gaussian_window > 0 and (H % gaussian_window or W % gaussian_window):
        raise ConfigError("H, W must be divisible by gaussian_window")
    kx = torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]], dtype=torch.float32, device=images.device)
    ky = kx.t().contiguous()
    wx = kx.view(1, 1, 3, 3).repeat(C, 1, 1, 1)
    wy = ky.view(1, 1, 3, 3).repeat(C, 1, 1, 1)
    xp = F.pad(images, (1, 1, 1, 1), mode="reflect")
    gx = F.conv2d(xp, wx, groups=C)  # F.conv2d is a cross-correlation
    gy = F.conv2d(xp, wy, groups=C)
    mag = torch.sqrt(gx * gx + gy * gy)
    phase = torch.atan2(gx, gy) / math.pi * nbins  # note the (gx, gy) argument order
    bins = torch.remainder(torch.floor(phase).to(torch.int64), nbins)  # non-negative modulo
    if gaussian_window > 0:
        g = gaussian_kernel_2d(gaussian_window, images.device)
        mag = mag * g.repeat(H // gaussian_window, W // gaussian_window)
    hist = torch.zeros(B, C, nbins, H, W, dtype=images.dtype, device=images.device)
    hist.scatter_add_(2, bins.unsqueeze(2), mag.unsqueeze(2))
    hc, wc = H // pool, W // pool
    hist = hist.reshape(B, C, nbins, hc, pool, wc, pool).sum(dim=(4, 6))  # (B,C,nbins,hc,wc)
    hist = F.normalize(hist, p=2, dim=2, eps=1e-12)
    u = patch // pool
    gh, gw = H // patch, W // patch
    K = C * nbins
    f = hist.reshape(B, K, hc, wc).permute(0, 2, 3, 1)  # (B,hc,wc,K)
    f = f.reshape(B, gh, u, gw, u, K).permute(0, 1, 3, 5, 2, 4)  # (B,gh,gw,K,dy,dx)
    return f.reshape(B, gh * gw, K * u * u).contiguous()


# ----------------------------------------------------------------------------
# DALL-E encoder (names as in OpenAI's dall_e package)
# ----------------------------------------------------------------------------
class DConv(nn.Module):
    def __init__(self, n_in, n_out, kw):
        super().__init__()
        self.kw = kw
        self.w = nn.Parameter(torch.zeros(n_out, n_in, kw, kw))
        self.b = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return F.conv2d(x, self.w, self.b, padding=(self.kw - 1) // 2)


class DBlock(nn.Module):
    def __init__(self, n_in, n_out, n_layers):
        super().__init__()
        h = n_out // 4
        self.post_gain = 1.0 / (n_layers ** 2)
        self.id_path = DConv(n_in, n_out, 1) if n_in != n_out else nn.Identity()
        self.res_path = nn.Sequential(OrderedDict([
            ("relu_1", nn.ReLU()), ("conv_1", DConv(n_in, h, 3)),
            ("relu_2", nn.ReLU()), ("conv_2", DConv(h, h, 3)),
            ("relu_3", nn.ReLU()), ("conv_3", DConv(h, h, 3)),
            ("relu_4", nn.ReLU()), ("conv_4", DConv(h, n_out, 1)),
        ]))

    def forward(self, x):
        return self.id_path(x) + self.post_gain * self.res_path(x)


class DalleEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        c_in = int(cfg.get("input_channels", 3))
        n_hid = int(cfg.get("n_hid", 256))
        nb = int(cfg.get("n_blk_per_group", 2))
        vocab = int(cfg.get("vocab_size", 8192))
        n_layers = 4 * nb
        mods = [("input", DConv(c_in, n_hid, 7))]
        widths = [1, 2, 4, 8]
        prev = n_hid
        for g in range(4):
            w = widths[g] * n_hid
            blocks = []
            for b in range(nb):
                blocks.append((f"block_{b + 1}", DBlock(prev if b == 0 else w, w, n_layers)))
            if g < 3:
                blocks.append(("pool", nn.MaxPool2d(kernel_size=2)))
            mods.append((f"group_{g + 1}", nn.Sequential(OrderedDict(blocks))))
            prev = w
        mods.append(("output", nn.Sequential(OrderedDict([
            ("relu", nn.ReLU()), ("conv", DConv(8 * n_hid, vocab, 1))]))))
        self.blocks = nn.Sequential(OrderedDict(mods))

    def forward(self, x):
        if x.shape[2] % 8 or x.shape[3] % 8:
            raise ConfigError("DALL-E input height/width must be divisible by 8")
        return self.blocks(x)


# ----------------------------------------------------------------------------
# init / load helpers
# ----------------------------------------------------------------------------
def build_model(cfg):
    kind = cfg.get("kind")
    if kind == "encoder":
        return Encoder(cfg)
    if kind == "dalle":
        return DalleEncoder(cfg)
    if kind == "hog":
        return None
    raise ConfigError(f"unknown kind {kind!r}")


def random_init(model, cfg):
    """Seeded, deliberately non-trivial initialisation so a wrong name/transpose changes outputs."""
    torch.manual_seed(int(cfg["seed"]))
    ls = float(cfg.get("layer_scale", 0.1))
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            leaf = name.rsplit(".", 1)[-1]
            is_ln = (".ln1." in "." + name or ".ln2." in "." + name) and p.dim() == 1
            if name in ("cls_token", "pos_embed", "mask_token"):
                p.normal_(0.0, 0.5)
            elif leaf.startswith("gamma_"):
                p.copy_(ls + 0.1 * torch.randn_like(p))
            elif is_ln and leaf == "weight":
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            elif p.dim() >= 2:  # linear / conv weight: unit-scale fan-in normal
                fan_in = p[0].numel()
                p.normal_(0.0, fan_in ** -0.5)
            else:  # biases, LN biases, q_bias/v_bias
                p.copy_(0.1 * torch.randn_like(p))


def load_strict(model, tensors):
    expected = model.state_dict()
    missing = sorted(set(expected) - set(tensors))
    unexpected = sorted(set(tensors) - set(expected))
    wrong = sorted(k for k in expected if k in tensors and tuple(tensors[k].shape) != tuple(expected[k].shape))
    if missing or unexpected or wrong:
        for k in missing:
            print(f"missing key: {k} {tuple(expected[k].shape)}", file=sys.stderr)
        for k in unexpected:
            print(f"unexpected key: {k} {tuple(tensors[k].shape)}", file=sys.stderr)
        for k in wrong:
            print(f"shape mismatch: {k} file {tuple(tensors[k].shape)} model {tuple(expected[k].shape)}",
                  file=sys.stderr)
        sys.exit(3)
    try:
        model.load_state_dict({k: v.to(torch.float32) for k, v in tensors.items()}, strict=True)
    except RuntimeError as e:
        print(f"load_state_dict failed: {e}", file=sys.stderr)
        sys.exit(3)


def read_config(case_dir):
    with open(os.path.join(case_dir, "config.json")) as f:
        return json.load(f)


def cmd_init(case_dir):
    cfg = read_config(case_dir)
    model = build_model(cfg)
    tensors = {}
    if model is not None:
        random_init(model, cfg)
        tensors = {k: v.detach().to(torch.float32).contiguous() for k, v in model.state_dict().items()}
    safetensors_io.save(os.path.join(case_dir, "weights.safetensors"), tensors,
                        {"kind": cfg["kind"], "seed": str(cfg["seed"]), "generator": "semanticmim_reference.py"})


def cmd_inputs(case_dir):
    """Extra helper: random inputs (images N(0,1); masks with ceil(N*mask_ratio) ones per row)."""
    cfg = read_config(case_dir)
    g = torch.Generator().manual_seed(int(cfg["seed"]) + 1)
    B = int(cfg.get("batch", 2))
    kind = cfg["kind"]
    if kind == "encoder":
        C, S = int(cfg["in_channels"]), int(cfg["img_size"])
        H = W = S
    elif kind == "hog":
        C = int(cfg.get("in_channels", 3))
        H = int(cfg.get("img_h", cfg.get("img_size", 32)))
        W = int(cfg.get("img_w", cfg.get("img_size", 32)))
    else:
        C = int(cfg.get("input_channels", 3))
        H = W = int(cfg.get("img_size", 16))
    t = {"images": torch.randn(B, C, H, W, generator=g)}
    if kind == "encoder" and cfg["method"] in ("joint", "proxy"):
        N = (S // int(cfg["patch_size"])) ** 2
        n_m = math.ceil(N * float(cfg.get("mask_ratio", 0.6)))
        mask = torch.zeros(B, N, dtype=torch.uint8)
        for b in range(B):
            mask[b, torch.randperm(N, generator=g)[:n_m]] = 1
        t["mask"] = mask
    safetensors_io.save(os.path.join(case_dir, "inputs.safetensors"), t)


def cmd_forward(case_dir):
    cfg = read_config(case_dir)
    inputs, _ = safetensors_io.load(os.path.join(case_dir, "inputs.safetensors"))
    if "images" not in inputs:
        raise ConfigError("inputs.safetensors has no 'images'")
    images = inputs["images"]
    if images.dtype != torch.float32 or images.dim() != 4:
        raise ConfigError("'images' must be F32 (B,C,H,W)")
    kind = cfg.get("kind")
    with torch.no_grad():
        if kind == "hog":
            out = {"hog": hog_features(images, int(cfg.get("nbins", 9)), int(cfg["pool"]),
                                       int(cfg.get("gaussian_window", 0)), int(cfg["patch_size"]))}
        else:
            model = build_model(cfg)
            weights, _ = safetensors_io.load(os.path.join(case_dir, "weights.safetensors"))
            load_strict(model, weights)
            model.eval()
            if kind == "dalle":
                out = {"logits": model(images)}
            else:
                mask = inputs.get("mask")
                out = model(images, mask)
    safetensors_io.save(os.path.join(case_dir, "outputs.safetensors"),
                        {k: v.to(torch.float32).contiguous() for k, v in out.items()})


def main(argv):
    if len(argv) != 3 or argv[1] not in ("forward", "init", "inputs"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        {"forward": cmd_forward, "init": cmd_init, "inputs": cmd_inputs}[argv[1]](argv[2])
    except (ConfigError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/python3
"""Self-checks of the reference: /usr/bin/python3 selftest.py  (exits non-zero on failure)."""
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import safetensors_io as st  # noqa: E402
import semanticmim_reference as ref  # noqa: E402

REF = os.path.join(HERE, "semanticmim_reference.py")
FAILS = []


def check(cond, msg):
    print(("ok   " if cond else "FAIL ") + msg)
    if not cond:
        FAILS.append(msg)


def run_cli(cmd, case):
    t0 = time.time()
    r = subprocess.run(["/usr/bin/python3", REF, cmd, case], capture_output=True, text=True)
    return r.returncode, r.stderr, time.time() - t0


def make_case(root, name, cfg):
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f)
    return d


# ---------------------------------------------------------------- safetensors
def test_safetensors(root):
    p = os.path.join(root, "t.safetensors")
    ts = {
        "f32": torch.randn(2, 3),
        "f16": torch.randn(4).half(),
        "bf16": torch.randn(3, 1).bfloat16(),
        "f64": torch.randn(2, 2, 2).double(),
        "i64": torch.tensor([-3, 2**40]),
        "i32": torch.tensor([[1, -2]], dtype=torch.int32),
        "u8": torch.tensor([0, 255, 7], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(1.5),
        "empty": torch.zeros(0, 3),
        "noncontig": torch.arange(12.).reshape(3, 4).t(),
    }
    st.save(p, ts, {"a": "b"})
    back, meta = st.load(p)
    ok = meta == {"a": "b"} and set(back) == set(ts)
    for k in ts:
        ok = ok and back[k].dtype == ts[k].dtype and back[k].shape == ts[k].shape and torch.equal(back[k], ts[k])
    check(ok, "safetensors round trip of all dtypes, scalar, empty, non-contiguous, metadata")
    raw = open(p, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    hdr = json.loads(raw[8:8 + n])
    names = [k for k in hdr if k != "__metadata__"]
    offs = [hdr[k]["data_offsets"] for k in names]
    contiguous = names == sorted(names) and offs[0][0] == 0 and all(a[1] == b[0] for a, b in zip(offs, offs[1:]))
    check(contiguous and offs[-1][1] == len(raw) - 8 - n and (8 + n) % 8 == 0,
          "safetensors keys sorted, offsets contiguous, header 8-aligned")
    check(hdr["bf16"]["dtype"] == "BF16" and hdr["bool"]["dtype"] == "BOOL", "safetensors dtype strings")


# ---------------------------------------------------------------- encoder
ENC_BASE = dict(kind="encoder", seed=7, img_size=16, patch_size=4, in_channels=3, embed_dim=32, depth=2,
                num_heads=2, mlp_dim=64, num_proxies=3, layer_scale=0.1, ln_eps=1e-6, batch=2, mask_ratio=0.6)


def load_model(case):
    cfg = json.load(open(os.path.join(case, "config.json")))
    m = ref.build_model(cfg)
    w, _ = st.load(os.path.join(case, "weights.safetensors"))
    m.load_state_dict(w, strict=True)
    m.eval()
    return m, w, cfg


def manual_block(w, pre, cfg, q, kv):
    """A second, functional formulation of Block(q, kv) via F.multi_head_attention_forward."""
    D, H = cfg["embed_dim"], cfg["num_heads"]
    g = lambda n: w[pre + n]  # noqa: E731
    qn = F.layer_norm(q, (D,), g("ln1.weight"), g("ln1.bias"), cfg["ln_eps"])
    kvn = F.layer_norm(kv, (D,), g("ln1.weight"), g("ln1.bias"), cfg["ln_eps"])
    in_w = torch.cat([g("attn.q_proj.weight"), g("attn.kv_proj.weight")], 0)
    if cfg["flavour"] == "beit":
        in_b = torch.cat([g("attn.q_bias"), torch.zeros(D), g("attn.v_bias")])
    else:
        in_b = torch.cat([g("attn.q_proj.bias"), g("attn.kv_proj.bias")])
    a, probs = F.multi_head_attention_forward(qn.transpose(0, 1), kvn.transpose(0, 1), kvn.transpose(0, 1), D, H,
                                              in_w, in_b, None, None, False, 0.0,
                                              g("attn.proj.weight"), g("attn.proj.bias"), training=False,
                                              need_weights=True, average_attn_weights=False)
    a = a.transpose(0, 1)
    g1 = g("gamma_1") if cfg["flavour"] == "beit" else 1.0
    g2 = g("gamma_2") if cfg["flavour"] == "beit" else 1.0
    x = q + g1 * a
    f = F.layer_norm(x, (D,), g("ln2.weight"), g("ln2.bias"), cfg["ln_eps"])
    f = F.linear(F.gelu(F.linear(f, g("ffn.layers.0.0.weight"), g("ffn.layers.0.0.bias"))),
                 g("ffn.layers.1.weight"), g("ffn.layers.1.bias"))
    return x + g2 * f, probs


def manual_embed(w, cfg, images):
    P = cfg["num_proxies"]
    E = F.conv2d(images, w["patch_embed.projection.weight"], w["patch_embed.projection.bias"], stride=cfg["patch_size"])
    E = E.flatten(2).transpose(1, 2) + w["pos_embed"][:, P:]
    X = (w["cls_token"] + w["pos_embed"][:, :P]).expand(E.shape[0], -1, -1)
    return X, E


def manual_vit(w, cfg, images):
    X, E = manual_embed(w, cfg, images)
    x = torch.cat([X, E], 1)
    outs = []
    for i in range(cfg["depth"]):
        x, probs = manual_block(w, f"layers.{i}.", cfg, x, x)
        outs.append((x, probs))
    return outs


def manual_proxy(w, cfg, images, mask):
    """Per-image loops with boolean indexing (no sort/gather) and explicit streams."""
    P, D = cfg["num_proxies"], cfg["embed_dim"]
    X, E = manual_embed(w, cfg, images)
    masked, visible = [], []
    for b in range(images.shape[0]):
        sel = mask[b].bool()
        h = torch.cat([X[b:b + 1], E[b:b + 1, ~sel]], 1)
        M = (w["mask_token"][0] + w["pos_embed"][0, P:][sel]).unsqueeze(0)
        for i in range(cfg["depth"]):
            h, _ = manual_block(w, f"layers.{i}.", cfg, h, h)
            M, _ = manual_block(w, f"extra_layers.{i}.", cfg, M, torch.cat([h[:, :P], M], 1))
        masked.append(F.layer_norm(M, (D,), w["ln1.weight"], w["ln1.bias"], cfg["ln_eps"])[0])
        visible.append(h[0])
    return torch.stack(masked), torch.stack(visible)


def test_encoder(root):
    for flavour in ("beit", "maskfeat"):
        for method in ("vit", "joint", "proxy"):
            cfg = dict(ENC_BASE, flavour=flavour, method=method)
            case = make_case(root, f"enc_{flavour}_{method}", cfg)
            rc1, e1, _ = run_cli("init", case)
            rc2, e2, _ = run_cli("inputs", case)
            rc3, e3, dt = run_cli("forward", case)
            ok = rc1 == rc2 == rc3 == 0
            check(ok, f"encoder {flavour}/{method}: init+inputs+forward rc=0 ({dt:.2f}s) {e1}{e2}{e3}")
            if not ok:
                continue
            out, _ = st.load(os.path.join(case, "outputs.safetensors"))
            inp, _ = st.load(os.path.join(case, "inputs.safetensors"))
            w, _ = st.load(os.path.join(case, "weights.safetensors"))
            keys = set(w)
            has_mask = {"mask_token", "ln1.weight", "ln1.bias"} <= keys
            check(has_mask == (method != "vit") and any(k.startswith("extra_layers.") for k in keys) == (method == "proxy")
                  and ("layers.0.gamma_1" in keys) == (flavour == "beit")
                  and ("layers.0.attn.q_bias" in keys) == (flavour == "beit")
                  and ("layers.0.attn.kv_proj.bias" in keys) == (flavour == "maskfeat"),
                  f"encoder {flavour}/{method}: weight key set")
            B, N, D, P = 2, 16, 32, 3
            n_m = math.ceil(N * 0.6)
            if method == "vit":
                man = manual_vit(w, cfg, inp["images"])
                err = max(max((out[f"layer.{i}"] - x).abs().max().item(), (out[f"attn.{i}"] - p).abs().max().item())
                          for i, (x, p) in enumerate(man))
                check(out["layer.0"].shape == (B, P + N, D) and out["attn.1"].shape == (B, 2, P + N, P + N)
                      and err < 1e-4, f"encoder {flavour}/vit matches F.multi_head_attention_forward (err {err:.2e})")
            elif method == "joint":
                # full-length in-place replacement (BEiT style) must give the same masked tokens
                m, _, _ = load_model(case)
                with torch.no_grad():
                    X, E = m._embed(inp["images"])
                    mt = (m.mask_token + m.pos_embed[:, P:]).expand(B, -1, -1)
                    full = torch.where(inp["mask"].bool().unsqueeze(-1), mt, E)
                    h = torch.cat([X, full], 1)
                    for blk in m.layers:
                        h, _ = blk(h)
                    h = m.ln1(h)[:, P:]
                    exp = torch.stack([h[b][inp["mask"][b].bool()] for b in range(B)])
                err = (out["masked"] - exp).abs().max().item()
                check(out["masked"].shape == (B, n_m, D) and err < 1e-4,
                      f"encoder {flavour}/joint equals full-length replacement formulation (err {err:.2e})")
            else:
                check(out["masked"].shape == (B, n_m, D) and out["visible"].shape == (B, P + N - n_m, D),
                      f"encoder {flavour}/proxy output shapes")
                m, _, _ = load_model(case)
                mask = inp["mask"]
                img2 = inp["images"].clone()
                p = cfg["patch_size"]
                for b in range(B):
                    for n in range(N):
                        if mask[b, n]:
                            r, c = divmod(n, 4)
                            img2[b, :, r * p:(r + 1) * p, c * p:(c + 1) * p] = torch.randn(3, p, p) * 5
                with torch.no_grad():
                    m.mask_token.add_(torch.randn_like(m.mask_token))
                    o2 = m(img2, mask)
                dv = (o2["visible"] - out["visible"]).abs().max().item()
                dm = (o2["masked"] - out["masked"]).abs().max().item()
                check(dv < 1e-5 and dm > 1e-3,
                      f"encoder {flavour}/proxy: visible unchanged by mask_token/masked pixels (dv {dv:.1e}, dm {dm:.1e})")
                em, ev = manual_proxy(w, cfg, inp["images"], mask)
                err = max((em - out["masked"]).abs().max().item(), (ev - out["visible"]).abs().max().item())
                check(err < 1e-4, f"encoder {flavour}/proxy matches per-image functional recomputation (err {err:.2e})")
            # strict loading: renamed and reshaped key must exit 3
            wp = os.path.join(case, "weights.safetensors")
            good, meta = st.load(wp)
            bad = dict(good)
            bad["layers.0.attn.qproj.weight"] = bad.pop("layers.0.attn.q_proj.weight")
            st.save(wp, bad)
            rc, err, _ = run_cli("forward", case)
            check(rc == 3 and "missing key: layers.0.attn.q_proj.weight" in err and "unexpected key" in err,
                  f"encoder {flavour}/{method}: renamed key exits 3")
            bad = dict(good)
            bad["pos_embed"] = bad["pos_embed"][:, 1:]
            st.save(wp, bad)
            rc, err, _ = run_cli("forward", case)
            check(rc == 3 and "shape mismatch: pos_embed" in err, f"encoder {flavour}/{method}: wrong shape exits 3")
            st.save(wp, good, meta)


# ---------------------------------------------------------------- HOG
def naive_hog(img, nbins, pool, G, patch):
    """Loop-based numpy HOG (float64) for a single (C,H,W) image."""
    C, H, W = img.shape
    pad = np.pad(img, ((0, 0), (1, 1), (1, 1)), mode="reflect")
    kx = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], float)
    ky = kx.T
    hist = np.zeros((C, nbins, H // pool, W // pool))
    if G:
        n = np.arange(G)
        w1 = np.exp(-0.5 * ((n - (G - 1) / 2) / (G / 2)) ** 2)
        g2 = np.outer(w1, w1)
        g2 /= g2.sum()
    for c in range(C):
        for y in range(H):
            for x in range(W):
                win = pad[c, y:y + 3, x:x + 3]
                gx, gy = (win * kx).sum(), (win * ky).sum()
                mag = math.hypot(gx, gy)
                ph = math.atan2(gx, gy) / math.pi * nbins
                b = math.floor(ph) % nbins
                if G:
                    mag *= g2[y % G, x % G]
                hist[c, b, y // pool, x // pool] += mag
    nrm = np.sqrt((hist ** 2).sum(1, keepdims=True))
    hist = hist / np.maximum(nrm, 1e-12)
    u = patch // pool
    gh, gw = H // patch, W // patch
    out = np.zeros((gh * gw, C * nbins * u * u))
    for py in range(gh):
        for px in range(gw):
            for c in range(C):
                for b in range(nbins):
                    for dy in range(u):
                        for dx in range(u):
                            out[py * gw + px, ((c * nbins + b) * u + dy) * u + dx] = \
                                hist[c, b, py * u + dy, px * u + dx]
    return out


def test_hog(root):
    nbins = 9
    # vertical edge: left half 0, right half 1
    img = torch.zeros(1, 1, 16, 16)
    img[..., 8:] = 1.0
    # use pool=16 so one cell covers the image; no window
    h = ref.hog_features(img, nbins, 16, 0, 16)[0]  # (1, 9)
    vbin = int(h[0].argmax())
    check(h.shape == (1, 9) and abs(h[0, vbin].item() - 1) < 1e-6, f"HOG vertical edge (left 0 / right 1) -> bin {vbin}")
    img = torch.zeros(1, 1, 16, 16)
    img[..., 8:, :] = 1.0
    h = ref.hog_features(img, nbins, 16, 0, 16)[0]
    hbin = int(h[0].argmax())
    check(abs(h[0, hbin].item() - 1) < 1e-6, f"HOG horizontal edge (top 0 / bottom 1) -> bin {hbin}")
    img = torch.zeros(1, 1, 16, 16)
    img[..., :8] = 1.0
    h = ref.hog_features(img, nbins, 16, 0, 16)[0]
    check(int(h[0].argmax()) == vbin, f"HOG vertical edge (left 1 / right 0) -> bin {int(h[0].argmax())}")
    img = torch.zeros(1, 1, 16, 16)
    img[..., :8, :] = 1.0
    h = ref.hog_features(img, nbins, 16, 0, 16)[0]
    check(int(h[0].argmax()) == hbin, f"HOG horizontal edge (top 1 / bottom 0) -> bin {int(h[0].argmax())}")
    check(vbin == 4 and hbin == 0, "HOG bins are 4 (vertical edge) and 0 (horizontal edge)")

    torch.manual_seed(0)
    for (C, H, W, pool, G, patch) in [(3, 16, 24, 2, 4, 4), (1, 8, 8, 2, 0, 4), (2, 16, 16, 4, 8, 8)]:
        img = torch.randn(2, C, H, W)
        got = ref.hog_features(img, nbins, pool, G, patch)
        exp = np.stack([naive_hog(img[b].double().numpy(), nbins, pool, G, patch) for b in range(2)])
        err = np.abs(got.numpy() - exp).max()
        check(got.shape == exp.shape and err < 1e-5, f"HOG C{C} {H}x{W} pool{pool} G{G} patch{patch} vs naive loops (err {err:.1e})")

    # CLI round trip
    case = make_case(root, "hog", dict(kind="hog", seed=1, nbins=9, pool=2, gaussian_window=4, patch_size=4,
                                       in_channels=3, img_size=16, batch=2))
    rcs = [run_cli(c, case) for c in ("init", "inputs", "forward")]
    ok = all(r[0] == 0 for r in rcs)
    out, _ = st.load(os.path.join(case, "outputs.safetensors")) if ok else ({}, {})
    check(ok and out["hog"].shape == (2, 16, 108), f"HOG CLI init+inputs+forward ({rcs[-1][2]:.2f}s) {rcs}")


# ---------------------------------------------------------------- DALL-E
def test_dalle(root):
    cfg = dict(kind="dalle", seed=3, input_channels=3, n_hid=16, n_blk_per_group=2, vocab_size=32, img_size=16, batch=2)
    case = make_case(root, "dalle", cfg)
    rcs = [run_cli(c, case) for c in ("init", "inputs", "forward")]
    ok = all(r[0] == 0 for r in rcs)
    check(ok, f"DALL-E CLI init+inputs+forward ({rcs[-1][2]:.2f}s) {[r[1] for r in rcs]}")
    if not ok:
        return
    out, _ = st.load(os.path.join(case, "outputs.safetensors"))
    w, _ = st.load(os.path.join(case, "weights.safetensors"))
    inp, _ = st.load(os.path.join(case, "inputs.safetensors"))
    check(out["logits"].shape == (2, 32, 2, 2), "DALL-E logits shape (B,vocab,H/8,W/8)")
    expected_keys = {"blocks.input.w", "blocks.input.b", "blocks.output.conv.w", "blocks.output.conv.b"}
    for g in range(1, 5):
        for b in (1, 2):
            pre = f"blocks.group_{g}.block_{b}."
            for c in range(1, 5):
                expected_keys |= {pre + f"res_path.conv_{c}.w", pre + f"res_path.conv_{c}.b"}
            if g > 1 and b == 1:
                expected_keys |= {pre + "id_path.w", pre + "id_path.b"}
    check(set(w) == expected_keys, "DALL-E key set (id_path only in first block of groups 2..4)")
    check(tuple(w["blocks.group_2.block_1.res_path.conv_1.w"].shape) == (8, 16, 3, 3)
          and tuple(w["blocks.group_4.block_2.res_path.conv_4.w"].shape) == (128, 32, 1, 1), "DALL-E conv shapes")

    # functional re-computation
    def conv(x, n):
        k = w[n + ".w"].shape[-1]
        return F.conv2d(x, w[n + ".w"], w[n + ".b"], padding=(k - 1) // 2)
    x = conv(inp["images"], "blocks.input")
    for g in range(1, 5):
        for b in (1, 2):
            pre = f"blocks.group_{g}.block_{b}."
            idp = conv(x, pre + "id_path") if pre + "id_path.w" in w else x
            r = x
            for c in range(1, 5):
                r = conv(F.relu(r), pre + f"res_path.conv_{c}")
            x = idp + r / 64.0
        if g < 4:
            x = F.max_pool2d(x, 2)
    x = conv(F.relu(x), "blocks.output.conv")
    err = (x - out["logits"]).abs().max().item()
    check(err < 1e-4, f"DALL-E matches functional recomputation (err {err:.1e})")
    # renamed key
    wp = os.path.join(case, "weights.safetensors")
    bad = dict(w)
    bad["blocks.input.weight"] = bad.pop("blocks.input.w")
    st.save(wp, bad)
    rc, err_txt, _ = run_cli("forward", case)
    check(rc == 3 and "missing key: blocks.input.w" in err_txt, "DALL-E renamed key exits 3")


def main():
    with tempfile.TemporaryDirectory() as root:
        test_safetensors(root)
        test_encoder(root)
        test_hog(root)
        test_dalle(root)
    print(f"\n{len(FAILS)} failure(s)")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())

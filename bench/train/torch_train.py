"""PyTorch side of `npm run bench:train`: the same model and loss as a clade recipe, AdamW, one training step on
a fixed random batch, timed; prints one JSON line {"images_per_s": ...} (source images: a SimCLR pair counts once).

usage: torch_train.py <case> <seconds> <config-json>
Threads and wait policy come from the caller's environment (bench/reference.ts)."""
import copy, json, math, os, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(int(os.environ.get("CLADE_TORCH_THREADS", "2")))
torch.manual_seed(0)


def small_cnn(channels, bn=False):
    """clade's `cnn` encoder: conv3x3 strides 1, 2, 2 (+ BatchNorm2d without conv bias when bn), ReLU, GAP."""
    layers, cin = [], 3
    for i, c in enumerate(channels):
        layers += [nn.Conv2d(cin, c, 3, 1 if i == 0 else 2, 1, bias=not bn)]
        layers += [nn.BatchNorm2d(c)] if bn else []
        layers += [nn.ReLU()]
        cin = c
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten()), cin


def nt_xent(z1, z2, t):
    n = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = z @ z.T / t
    sim = sim - torch.eye(2 * n) * 1e9
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, target)


class Block(nn.Module):
    """clade's pre-norm transformer block: x + attn(ln1(x)), x + fc2(gelu(fc1(ln2(x)))); causal attention."""

    def __init__(self, w, heads):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(w), nn.LayerNorm(w)
        self.attn = nn.MultiheadAttention(w, heads, batch_first=True)
        self.fc1, self.fc2 = nn.Linear(w, 4 * w), nn.Linear(4 * w, w)

    def forward(self, x, mask):
        h = self.ln1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class TextTransformer(nn.Module):
    """clade's textTransformer: token + position embeddings, causal blocks, final LN at the end-of-text token,
    optional projection without bias."""

    def __init__(self, vocab, context, width, depth, heads, out_dim=None):
        super().__init__()
        self.tok = nn.Embedding(vocab, width)
        self.pos = nn.Parameter(torch.randn(context, width) * 0.01)
        self.blocks = nn.ModuleList([Block(width, heads) for _ in range(depth)])
        self.ln = nn.LayerNorm(width)
        self.proj = nn.Linear(width, out_dim, bias=False) if out_dim else None
        self.register_buffer("mask", torch.triu(torch.full((context, context), float("-inf")), 1))

    def forward(self, ids, eot):
        x = self.tok(ids) + self.pos
        for blk in self.blocks:
            x = blk(x, self.mask)
        x = self.ln(x[torch.arange(x.shape[0]), eot])
        return self.proj(x) if self.proj is not None else x


def clip_loss(a, b, logit_scale):
    logits = F.normalize(a, dim=1) @ F.normalize(b, dim=1).T * logit_scale.exp()
    t = torch.arange(a.shape[0])
    return (F.cross_entropy(logits, t) + F.cross_entropy(logits.T, t)) / 2


def byol_cos(p, y):
    return (2 - 2 * (F.normalize(p, dim=1) * y).sum(1)).mean()


def text_batch(cfg, b):
    t = cfg["contextLength"]
    ids = torch.randint(4, cfg["vocab"], (b, t))
    eot = torch.randint(t // 2, t, (b,))
    return ids, eot


def build_image_text(case, cfg):
    """clip-taxonomy / clipin: small CNN image tower and causal text tower (clade's recipes)."""
    b = cfg["batchSize"]
    enc, d = small_cnn(cfg["imageChannels"], cfg.get("imageBatchNorm", False))
    w = cfg["textWidth"]
    ids, eot = text_batch(cfg, b)
    if case == "clip-taxonomy":
        text = TextTransformer(cfg["vocab"], cfg["contextLength"], w, cfg["textDepth"], cfg["textHeads"], cfg["embedDim"])
        proj = nn.Linear(d, cfg["embedDim"])
        scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        model = nn.ModuleDict({"enc": enc, "proj": proj, "text": text})
        model.scale = scale
        x = torch.randn(b, 3, 32, 32)
        return model, (lambda: clip_loss(proj(enc(x)), text(ids, eot), scale)), b
    # clipin: shared pre-projectors g, contrastive c, non-contrastive p = BN(no affine) -> GELU -> Linear,
    # predictors q = Linear -> BN -> ReLU -> Linear, EMA target (m 0.95) of (encoder, g, p) per modality.
    pre, clip_d, nc, hid = cfg["preDim"], cfg["clipDim"], cfg["ncDim"], cfg["predHidden"]
    text = TextTransformer(cfg["vocab"], cfg["contextLength"], w, cfg["textDepth"], cfg["textHeads"])
    ncp = lambda: nn.Sequential(nn.BatchNorm1d(pre, affine=False), nn.GELU(), nn.Linear(pre, nc))
    pred = lambda: nn.Sequential(nn.Linear(nc, hid), nn.BatchNorm1d(hid), nn.ReLU(), nn.Linear(hid, nc))
    online = nn.ModuleDict({
        "image": enc, "text": text, "gI": nn.Linear(d, pre), "gT": nn.Linear(w, pre), "pI": ncp(), "pT": ncp(),
    })
    heads = nn.ModuleDict({
        "cI": nn.Linear(pre, clip_d), "cT": nn.Linear(pre, clip_d),
        "qIx": pred(), "qTx": pred(), "qIs": pred(), "qTs": pred(),
    })
    target = copy.deepcopy(online).requires_grad_(False)
    model = nn.ModuleDict({"online": online, "heads": heads})
    model.scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
    model.lam_self = nn.Parameter(torch.tensor(1.0))
    model.lam_comb = nn.Parameter(torch.tensor(1.0))
    v1, v2 = torch.randn(b, 3, 32, 32), torch.randn(b, 3, 32, 32)
    m = cfg["momentum"]

    def loss():
        o, h = online, heads
        hI, hT = o["gI"](o["image"](v1)), o["gT"](o["text"](ids, eot))
        zI, zT = o["pI"](hI), o["pT"](hT)
        with torch.no_grad():
            for pt, po in zip(target.parameters(), online.parameters()):
                pt.mul_(m).add_(po.detach(), alpha=1 - m)
            yI = F.normalize(target["pI"](target["gI"](target["image"](v2))), dim=1)
            yT = F.normalize(target["pT"](target["gT"](target["text"](ids, eot))), dim=1)
        inter = (byol_cos(h["qIx"](zI), yT) + byol_cos(h["qTx"](zT), yI)) / 2
        intra = (byol_cos(h["qIs"](zI), yI) + byol_cos(h["qTs"](zT), yT)) / 2
        clip = clip_loss(h["cI"](hI), h["cT"](hT), model.scale)
        return inter + model.lam_self * intra + model.lam_comb * clip

    return model, loss, b


def build(case, cfg):
    if case in ("clip-taxonomy", "clipin"):
        return build_image_text(case, cfg)
    enc, d = small_cnn(cfg["encoder"]["channels"], cfg["encoder"].get("batchNorm", False))
    b = cfg["batchSize"]
    if case == "supervised-cifar":
        head = nn.Linear(d, 100)
        model = nn.Sequential(enc, head)
        x = torch.randn(b, 3, 32, 32)
        y = torch.randint(0, 100, (b,))
        loss = lambda: F.cross_entropy(model(x), y, label_smoothing=cfg["labelSmoothing"])
        return model, loss, b
    if case == "simclr-cifar":
        proj = nn.Sequential(
            nn.Linear(d, cfg["projectionHidden"]), nn.BatchNorm1d(cfg["projectionHidden"]), nn.ReLU(),
            nn.Linear(cfg["projectionHidden"], cfg["projectionDim"]),
        )
        model = nn.Sequential(enc, proj)
        v = torch.randn(2 * b, 3, 32, 32)

        def loss():
            z = model(v)
            return nt_xent(z[:b], z[b:], cfg["temperature"])

        return model, loss, b
    raise SystemExit(f"unknown case {case}")


def main():
    case, seconds, cfg = sys.argv[1], float(sys.argv[2]), json.loads(sys.argv[3])
    model, loss_fn, images = build(case, cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=cfg.get("weightDecay", 0.01))

    def step():
        opt.zero_grad(set_to_none=True)
        loss_fn().backward()
        opt.step()

    for _ in range(3):
        step()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
        n += 1
    print(json.dumps({"images_per_s": n * images / (time.perf_counter() - t0)}))


main()

"""PyTorch side of `npm run bench:train`: the same model and loss as a clade recipe, AdamW, one training step on
a fixed random batch, timed; prints one JSON line {"images_per_s": ...} (source images: a SimCLR pair counts once).

usage: torch_train.py <case> <seconds> <config-json>
Run under the engine guide's baseline rule: 2 threads and OMP_WAIT_POLICY=PASSIVE (set by the caller)."""
import json, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
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


def build(case, cfg):
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

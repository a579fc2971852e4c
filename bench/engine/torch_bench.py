"""PyTorch side of `npm run bench:engine`: the same models, AdamW, same shapes; prints one JSON line.

Threads and wait policy come from the caller's environment (bench/reference.ts: CLADE_TORCH_THREADS for
torch.set_num_threads, OMP_*, OPENBLAS_*)."""
import json, math, os, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(int(os.environ.get("CLADE_TORCH_THREADS", "2")))
torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, d, h, mlp, causal):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc1, self.fc2 = nn.Linear(d, mlp), nn.Linear(mlp, d)
        self.h, self.causal = h, causal

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).reshape(b, t, 3, self.h, d // self.h).permute(2, 0, 3, 1, 4)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(d // self.h)
        if self.causal:
            att = att + torch.triu(torch.full((t, t), -1e9), 1)
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class ViT(nn.Module):
    def __init__(self, image=32, patch=4, d=192, depth=6, h=3, mlp=768, classes=10):
        super().__init__()
        n = (image // patch) ** 2
        self.embed = nn.Conv2d(3, d, patch, patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.pos = nn.Parameter(torch.randn(1, n + 1, d) * 0.02)
        self.blocks = nn.ModuleList([Block(d, h, mlp, False) for _ in range(depth)])
        self.ln, self.head = nn.LayerNorm(d), nn.Linear(d, classes)

    def forward(self, x):
        x = self.embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        for b in self.blocks:
            x = b(x)
        return self.head(self.ln(x)[:, 0])


class Text(nn.Module):
    def __init__(self, vocab=8192, ctx=32, d=256, depth=4, h=4, out=256):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(ctx, d) * 0.01)
        self.blocks = nn.ModuleList([Block(d, h, 4 * d, True) for _ in range(depth)])
        self.ln, self.proj = nn.LayerNorm(d), nn.Linear(d, out, bias=False)

    def forward(self, ids, eot):
        x = self.tok(ids) + self.pos
        for b in self.blocks:
            x = b(x)
        x = self.ln(x)
        return self.proj(x[torch.arange(x.shape[0]), eot])


def case(name):
    if name == "mlp":
        m = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
        x, y = torch.randn(256, 784), torch.randint(0, 10, (256,))
        return m, lambda: F.cross_entropy(m(x), y)
    if name == "cnn":
        m = nn.Sequential(nn.Conv2d(3, 32, 3, 1, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, 2, 1), nn.ReLU(),
                          nn.Conv2d(64, 128, 3, 2, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))
        x, y = torch.randn(128, 3, 32, 32), torch.randint(0, 10, (128,))
        return m, lambda: F.cross_entropy(m(x), y)
    if name == "vit":
        m = ViT()
        x, y = torch.randn(128, 3, 32, 32), torch.randint(0, 10, (128,))
        return m, lambda: F.cross_entropy(m(x), y)
    if name == "text":
        m = Text()
        ids, eot = torch.randint(0, 8192, (128, 32)), torch.randint(0, 32, (128,))
        target = torch.randn(128, 256)
        return m, lambda: ((m(ids, eot) - target) ** 2).mean()
    raise SystemExit(f"unknown case {name}")


def main():
    name, seconds = sys.argv[1], float(sys.argv[2])
    m, loss_fn = case(name)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3)

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
    print(json.dumps({"case": name, "steps_per_s": n / (time.perf_counter() - t0)}))


if __name__ == "__main__":
    main()

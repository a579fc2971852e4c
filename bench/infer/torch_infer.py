"""PyTorch side of `npm run bench:infer`: open_clip's CLIP architecture (model.py / transformer.py of open_clip 2.24:
VisionTransformer with conv1, class token, ln_pre, nn.MultiheadAttention blocks, ln_post, proj; the text tower with a
causal mask, ln_final and argmax pooling), with open_clip's state-dict names, loaded from the same
open_clip_model.safetensors clade reads. A long-lived process: the driver sends one command per line and reads one
JSON line back, so clade and PyTorch measurements interleave without reloading the model.

By default the blocks run their Linears through oneDNN (`tune`, the fastest this PyTorch build offers; `--blas`
keeps the plain modules). Threads as the engine bench: torch.set_num_threads(int(os.environ.get("CLADE_TORCH_THREADS", "2"))), OMP_NUM_THREADS=2 and OMP_WAIT_POLICY=PASSIVE (set by the
caller). Inference under torch.inference_mode(), float32."""
import json, math, os, resource, struct, sys, time
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.mkldnn

torch.set_num_threads(int(os.environ.get("CLADE_TORCH_THREADS", "2")))


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        assert v["dtype"] == "F32", (k, v["dtype"])
        a, b = v["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(data[a:b], dtype=np.float32).reshape(v["shape"]).copy())
    return out


class LayerNorm(nn.LayerNorm):
    pass


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, d, heads, mlp_ratio, act):
        super().__init__()
        self.ln_1 = LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads)
        self.ln_2 = LayerNorm(d)
        w = int(d * mlp_ratio)
        self.mlp = nn.Sequential(OrderedDict([("c_fc", nn.Linear(d, w)), ("gelu", act()), ("c_proj", nn.Linear(w, d))]))

        self.fast = False

    def tune(self):
        """Same weights through oneDNN's Linear: Debian's PyTorch has a generic BLAS (about 60 GFLOP/s on the
        ViT MLP GEMM here) while its oneDNN reaches about 190; nn.MultiheadAttention's in_proj always takes the BLAS
        path, so attention is written out (the same math as F.multi_head_attention_forward)."""
        d = self.ln_1.normalized_shape[0]
        qkv, out = nn.Linear(d, 3 * d), nn.Linear(d, d)
        qkv.weight, qkv.bias = self.attn.in_proj_weight, self.attn.in_proj_bias
        out.weight, out.bias = self.attn.out_proj.weight, self.attn.out_proj.bias
        self.qkv, self.out = torch.utils.mkldnn.to_mkldnn(qkv), torch.utils.mkldnn.to_mkldnn(out)
        self.fc, self.proj = (torch.utils.mkldnn.to_mkldnn(self.mlp.c_fc), torch.utils.mkldnn.to_mkldnn(self.mlp.c_proj))
        self.heads = self.attn.num_heads
        self.fast = True

    def forward(self, x, attn_mask=None):
        if not self.fast:
            y = self.ln_1(x)
            x = x + self.attn(y, y, y, need_weights=False, attn_mask=attn_mask)[0]
            return x + self.mlp(self.ln_2(x))
        L, N, D = x.shape
        h, dh = self.heads, D // self.heads
        qkv = self.qkv(self.ln_1(x).reshape(L * N, D)).reshape(L, N, 3, h, dh).permute(2, 1, 3, 0, 4)
        att = (qkv[0] * dh ** -0.5) @ qkv[1].transpose(-2, -1)
        if attn_mask is not None:
            att = att + attn_mask
        o = (att.softmax(-1) @ qkv[2]).permute(2, 0, 1, 3).reshape(L * N, D)
        x = x + self.out(o).reshape(L, N, D)
        m = self.proj(self.mlp.gelu(self.fc(self.ln_2(x).reshape(L * N, D))))
        return x + m.reshape(L, N, D)


class Transformer(nn.Module):
    def __init__(self, width, layers, heads, mlp_ratio, act):
        super().__init__()
        self.resblocks = nn.ModuleList([ResidualAttentionBlock(width, heads, mlp_ratio, act) for _ in range(layers)])

    def forward(self, x, attn_mask=None):
        for r in self.resblocks:
            x = r(x, attn_mask=attn_mask)
        return x


class VisionTransformer(nn.Module):
    def __init__(self, image, patch, width, layers, heads, mlp_ratio, out, act):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, patch, patch, bias=False)
        self.class_embedding = nn.Parameter(torch.zeros(width))
        self.positional_embedding = nn.Parameter(torch.zeros((image // patch) ** 2 + 1, width))
        self.ln_pre = LayerNorm(width)
        self.transformer = Transformer(width, layers, heads, mlp_ratio, act)
        self.ln_post = LayerNorm(width)
        self.proj = nn.Parameter(torch.zeros(width, out))

    def forward(self, x):
        x = self.conv1(x)
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
        x = torch.cat([self.class_embedding.view(1, 1, -1).expand(x.shape[0], -1, -1), x], dim=1)
        x = self.ln_pre(x + self.positional_embedding)
        x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)
        return self.ln_post(x[:, 0]) @ self.proj


class CLIP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        m = cfg["model_cfg"]
        v, t = m["vision_cfg"], m["text_cfg"]
        act = QuickGELU if m.get("quick_gelu") else nn.GELU
        e = m["embed_dim"]
        self.visual = VisionTransformer(v["image_size"], v["patch_size"], v["width"], v["layers"],
                                        v["width"] // v.get("head_width", 64), v.get("mlp_ratio", 4.0), e, act)
        ctx, w = t["context_length"], t["width"]
        self.transformer = Transformer(w, t["layers"], t["heads"], t.get("mlp_ratio", 4.0), act)
        self.token_embedding = nn.Embedding(t["vocab_size"], w)
        self.positional_embedding = nn.Parameter(torch.zeros(ctx, w))
        self.ln_final = LayerNorm(w)
        self.text_projection = nn.Parameter(torch.zeros(w, e))
        self.logit_scale = nn.Parameter(torch.zeros([]))
        self.register_buffer("attn_mask", torch.full((ctx, ctx), float("-inf")).triu_(1), persistent=False)

    def encode_image(self, x):
        return self.visual(x)

    def encode_text(self, text):
        x = self.token_embedding(text) + self.positional_embedding
        x = self.transformer(x.permute(1, 0, 2), attn_mask=self.attn_mask).permute(1, 0, 2)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0]), text.argmax(dim=-1)] @ self.text_projection


class OneDnnLinear(torch.autograd.Function):
    """y = x·Wᵀ + b on oneDNN with its gradients on oneDNN too (this build's oneDNN Linear has no autograd, and its
    BLAS is generic: ~3x slower on these GEMMs): dx = g·W, dW = gᵀ·x, db = Σg. Dense ↔ oneDNN layout conversions
    are O(N·d) against O(N·d·d') GEMMs."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return torch._C._nn.mkldnn_linear(x.to_mkldnn(), w.to_mkldnn(), b.to_mkldnn()).to_dense()

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        g = g.contiguous()
        dx = torch._C._nn.mkldnn_linear(g.to_mkldnn(), w.t().contiguous().to_mkldnn(), None).to_dense()
        dw = torch._C._nn.mkldnn_linear(g.t().contiguous().to_mkldnn(), x.t().contiguous().to_mkldnn(), None).to_dense()
        return dx, dw, g.sum(0)


def linear2d(lin, x):
    """A Linear over the last axis through OneDnnLinear."""
    return OneDnnLinear.apply(x.reshape(-1, x.shape[-1]), lin.weight, lin.bias).reshape(*x.shape[:-1], -1)


class TrainBlock(nn.Module):
    """A copy of one ResidualAttentionBlock for training: its Linears through OneDnnLinear (autograd on oneDNN),
    attention written out as the tuned inference path computes it."""

    def __init__(self, b):
        super().__init__()
        d = b.ln_1.normalized_shape[0]
        self.heads = b.attn.num_heads
        self.ln_1, self.ln_2 = LayerNorm(d), LayerNorm(d)
        self.ln_1.load_state_dict(b.ln_1.state_dict())
        self.ln_2.load_state_dict(b.ln_2.state_dict())
        self.qkv, self.out = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.proj = nn.Linear(d, b.mlp.c_fc.out_features), nn.Linear(b.mlp.c_fc.out_features, d)
        with torch.no_grad():
            self.qkv.weight.copy_(b.attn.in_proj_weight)
            self.qkv.bias.copy_(b.attn.in_proj_bias)
            self.out.weight.copy_(b.attn.out_proj.weight)
            self.out.bias.copy_(b.attn.out_proj.bias)
            for dst, src in ((self.fc, b.mlp.c_fc), (self.proj, b.mlp.c_proj)):
                dst.weight.copy_(src.weight)
                dst.bias.copy_(src.bias)
        self.act = b.mlp.gelu

    def forward(self, x):
        L, N, D = x.shape
        h, dh = self.heads, D // self.heads
        qkv = linear2d(self.qkv, self.ln_1(x)).reshape(L, N, 3, h, dh).permute(2, 1, 3, 0, 4)
        att = (qkv[0] * dh ** -0.5) @ qkv[1].transpose(-2, -1)
        o = (att.softmax(-1) @ qkv[2]).permute(2, 0, 1, 3).reshape(L, N, D)
        x = x + linear2d(self.out, o)
        return x + linear2d(self.proj, self.act(linear2d(self.fc, self.ln_2(x))))


class FineTune:
    """`lock_image` with the last K blocks, ln_post and proj trained (clade's unlockImageBlocks K): the locked
    blocks run under no_grad on the tuned (oneDNN) path, the trained ones as TrainBlocks; InfoNCE (scale 100, both
    directions) against fixed text embeddings; AdamW (0.9, 0.98), eps 1e-6, weight decay 0.2 on rank >= 2."""

    def __init__(self, visual, k, text):
        self.v, self.k, self.text = visual, k, F.normalize(text, dim=-1)
        blocks = visual.transformer.resblocks
        self.locked, self.trained = blocks[: len(blocks) - k], nn.ModuleList([TrainBlock(b) for b in blocks[len(blocks) - k:]])
        self.ln_post = LayerNorm(visual.ln_post.normalized_shape[0])
        self.ln_post.load_state_dict(visual.ln_post.state_dict())
        self.proj = nn.Parameter(visual.proj.detach().clone())
        params = list(self.trained.parameters()) + list(self.ln_post.parameters()) + [self.proj]
        decay = [p for p in params if p.ndim >= 2]
        rest = [p for p in params if p.ndim < 2]
        self.opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.2}, {"params": rest, "weight_decay": 0.0}],
                                     lr=1e-5, betas=(0.9, 0.98), eps=1e-6)

    def step(self, images):
        v = self.v
        with torch.no_grad():
            x = v.conv1(images)
            x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
            x = torch.cat([v.class_embedding.view(1, 1, -1).expand(x.shape[0], -1, -1), x], dim=1)
            x = v.ln_pre(x + v.positional_embedding).permute(1, 0, 2)
            for b in self.locked:
                x = b(x)
        for b in self.trained:
            x = b(x)
        img = F.normalize(self.ln_post(x[0]) @ self.proj, dim=-1)
        logits = 100 * img @ self.text.T
        y = torch.arange(logits.shape[0])
        loss = (F.cross_entropy(logits, y) + F.cross_entropy(logits.T, y)) / 2
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return loss.item()


def main():
    folder, batch = sys.argv[1], int(sys.argv[2])
    cfg = json.load(open(f"{folder}/open_clip_config.json"))
    model = CLIP(cfg).eval()
    model.load_state_dict(read_safetensors(f"{folder}/open_clip_model.safetensors"), strict=True)
    if "--blas" not in sys.argv:
        for m in model.modules():
            if isinstance(m, ResidualAttentionBlock):
                m.tune()
    v = cfg["model_cfg"]["vision_cfg"]
    inputs = json.load(open(f"{folder}/bench_inputs.json"))
    images = torch.from_numpy(np.fromfile(f"{folder}/bench_images.f32", dtype=np.float32).reshape(batch, 3, v["image_size"], v["image_size"]))
    ids = torch.tensor(inputs["ids"], dtype=torch.long)
    fns = {"image": lambda: model.encode_image(images), "text": lambda: model.encode_text(ids)}
    print(json.dumps({"ready": True}), flush=True)
    ft = None
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "ft_setup":
            e = cfg["model_cfg"]["embed_dim"]
            text = torch.from_numpy(np.fromfile(f"{folder}/bench_text_emb.f32", dtype=np.float32).reshape(batch, e))
            ft = FineTune(model.visual, int(cmd[1]), text)
            loss = ft.step(images)  # the first step, from the checkpoint's weights: its loss checks parity
            print(json.dumps({"loss": loss}), flush=True)
            continue
        if cmd[0] == "ft":
            seconds = float(cmd[1])
            n, t0 = 0, time.perf_counter()
            while n == 0 or time.perf_counter() - t0 < seconds:
                ft.step(images)
                n += 1
            dt = time.perf_counter() - t0
            print(json.dumps({"case": "ft", "per_s": n * batch / dt,
                              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)
            continue
        with torch.inference_mode():
            if cmd[0] == "gemm":
                m_, k_, n_ = int(cmd[1]), int(cmd[2]), int(cmd[3])
                a, lin = torch.randn(m_, k_), nn.Linear(k_, n_, bias=False)
                out = {}
                for name, f in (("blas", lin), ("onednn", torch.utils.mkldnn.to_mkldnn(lin))):
                    f(a)
                    ts = []
                    for _ in range(5):
                        t0 = time.perf_counter()
                        f(a)
                        ts.append(time.perf_counter() - t0)
                    out[name] = 2 * m_ * k_ * n_ / sorted(ts)[2] / 1e9
                print(json.dumps(out), flush=True)
                continue
            if cmd[0] == "outputs":
                out = {k: f().numpy().tolist() for k, f in fns.items()}
                print(json.dumps(out), flush=True)
                continue
            name, seconds = cmd[0], float(cmd[1])
            f = fns[name]
            f()
            n, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < seconds:
                f()
                n += 1
            dt = time.perf_counter() - t0
            print(json.dumps({"case": name, "per_s": n * batch / dt,
                              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)


if __name__ == "__main__":
    main()

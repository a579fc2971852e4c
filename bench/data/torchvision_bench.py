"""torchvision side of `npm run bench:data`: the same pipelines as bench/data/pipelines.ts.

Usage: python3 torchvision_bench.py --case cifar|jpeg --cifar FILE --n N --dir DIR --batch B --workers 2 --epochs E
Prints one JSON line: {"images": n, "seconds": s, "images_per_s": r} measured from the first batch to the last
(worker start-up excluded, as on the clade side).
"""
import argparse
import json
import os
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from torch.utils.data import DataLoader, Dataset  # noqa: E402
from torchvision import datasets, transforms as T  # noqa: E402

CIFAR_MEAN, CIFAR_STD = (0.4914, 0.4822, 0.4465), (0.247, 0.2435, 0.2616)
IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


class Cifar(Dataset):
    """CIFAR-10 binary records held in memory as HWC uint8 (like torchvision.datasets.CIFAR10)."""

    def __init__(self, path, n, transform):
        raw = np.fromfile(path, dtype=np.uint8).reshape(-1, 3073)[:n]
        self.labels = raw[:, 0].astype(np.int64)
        self.data = raw[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()
        self.transform = transform

    def __len__(self):
        return len(self.data)

    def __getitem__(self, i):
        img = Image.fromarray(self.data[i])
        return self.transform(img), self.transform(img), self.labels[i]


def simclr(size):
    return T.Compose([
        T.RandomResizedCrop(size),
        T.RandomHorizontalFlip(),
        T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
        T.RandomGrayscale(p=0.2),
        T.ToTensor(),
        T.Normalize(CIFAR_MEAN, CIFAR_STD),
    ])


def rrc224():
    return T.Compose([
        T.RandomResizedCrop(224),
        T.RandomHorizontalFlip(),
        T.ToTensor(),
        T.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--case", required=True)
    p.add_argument("--cifar", default="")
    p.add_argument("--n", type=int, default=4096)
    p.add_argument("--dir", default="")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--epochs", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(int(os.environ.get("CLADE_TORCH_THREADS", "2")))
    torch.manual_seed(0)
    ds = Cifar(a.cifar, a.n, simclr(32)) if a.case == "cifar" else datasets.ImageFolder(a.dir, rrc224())
    dl = DataLoader(ds, batch_size=a.batch, shuffle=True, num_workers=a.workers, drop_last=False,
                    persistent_workers=True, prefetch_factor=2)
    t0 = None
    images = 0
    for _ in range(a.epochs):
        for batch in dl:
            if t0 is None:
                t0 = time.perf_counter()  # first batch: workers are up
                continue
            images += batch[-1].shape[0]
    secs = time.perf_counter() - t0
    print(json.dumps({"images": images, "seconds": secs, "images_per_s": images / secs}))


if __name__ == "__main__":
    main()

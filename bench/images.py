"""W7: a CNN trained on a folder of PNG images with augmentation, dnnc against PyTorch with a
DataLoader of 2 worker processes on the same files (torchvision's ImageFolder and transforms: the
same crop, flip, rotation and brightness). Both train the same network (bench/specs/w7.yaml) for 5
epochs with Adam, validating every epoch, on 2 threads; the figures are whole processes, medians over
the rounds, and the last epoch's validation accuracy.

    python -m pip install torch torchvision pillow numpy
    python bench/images.py [--rounds 3]

The images (3,000 training, 600 validation, 32×32 RGB) are written once to bench/data/shapes by
tools/make_images.py. The PyTorch side decodes every image in every epoch, as a DataLoader does; dnnc
decodes each once, before training.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import run  # noqa: E402  (bench/run.py's timing of a whole process: wall seconds, peak RSS)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DNNC = os.path.join(ROOT, ".build", "release", "dnnc")
DATA = os.path.join(HERE, "data", "shapes")

TORCH = r'''
import json, sys, time
import torch, torch.nn as nn
from torchvision import datasets, transforms
torch.set_num_threads(2)
torch.manual_seed(0)
start = time.perf_counter()
augment = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
                              transforms.RandomRotation(15), transforms.ToTensor(), transforms.ColorJitter(brightness=0.2)])
train = datasets.ImageFolder(sys.argv[1] + "/train", transform=augment)
validation = datasets.ImageFolder(sys.argv[1] + "/validation", transform=transforms.ToTensor())
loader = torch.utils.data.DataLoader(train, batch_size=32, shuffle=True, num_workers=2, persistent_workers=True)
held = torch.utils.data.DataLoader(validation, batch_size=32, num_workers=2, persistent_workers=True)
model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
                      nn.MaxPool2d(2), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(2048, 64), nn.ReLU(),
                      nn.Linear(64, 3))
for m in model:
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        nn.init.kaiming_uniform_(m.weight, nonlinearity="relu")
        nn.init.zeros_(m.bias)
optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
loss_function = nn.CrossEntropyLoss()
for epoch in range(5):
    model.train()
    for x, y in loader:
        optimizer.zero_grad()
        loss_function(model(x), y).backward()
        optimizer.step()
    model.eval()
    right = 0
    with torch.no_grad():
        for x, y in held:
            right += int((model(x).argmax(1) == y).sum())
print(json.dumps({"seconds": time.perf_counter() - start, "accuracy": right / len(validation)}))
'''


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not os.path.isdir(DATA):
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "make_images.py"), DATA, "--train", "3000", "--validation", "600"], check=True)
    results = {"dnnc": [], "torch": []}
    for _ in range(args.rounds):
        wall, rss, out, _ = run([DNNC, "run", "bench/specs/w7.yaml", "--threads", "2", "--no-progress", "--log-format", "jsonl"])
        last = [json.loads(line) for line in out.splitlines() if line.startswith("{") and '"epoch"' in line][-1]
        results["dnnc"].append((wall, rss, last["val_accuracy"]))
        wall, rss, out, _ = run([sys.executable, "-c", TORCH, DATA])
        results["torch"].append((wall, rss, json.loads(out.strip().splitlines()[-1])["accuracy"]))
    print(f"W7, {args.rounds} rounds: whole process, median (min–max); peak RSS of the main process; last validation accuracy")
    for name, runs in results.items():
        walls = [r[0] for r in runs]
        print(f"  {name:6} {statistics.median(walls):6.2f} s ({min(walls):.2f}–{max(walls):.2f})  "
              f"{statistics.median(r[1] for r in runs):5.0f} MB  accuracy {', '.join(f'{r[2]:.3f}' for r in runs)}")
    print(f"  PyTorch / dnnc: {statistics.median(r[0] for r in results['torch']) / statistics.median(r[0] for r in results['dnnc']):.2f}")


if __name__ == "__main__":
    main()

"""reference.py writes what the torchvision import tests compare with.

Usage: python3 reference.py ARCH OUT_DIR SEED (see torchtest.go)

A torchvision ARCH with seeded random weights (and random BatchNorm
statistics and affine parameters, so that folding them is tested), saved
with torch.save(model.state_dict()) as OUT_DIR/ARCH.pth; 16 images of
224x224 RGB noise as OUT_DIR/images.u8 (NHWC uint8); and the network's
pooled features before the classifier, in eval mode, on those images with
torchvision's normalisation, as OUT_DIR/features.f32 (float32, little
endian, 16 rows).
"""
import sys

import torch
import torchvision

arch, out, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.manual_seed(seed)
model = getattr(torchvision.models, arch)()
for m in model.modules():
    if isinstance(m, torch.nn.BatchNorm2d):
        m.running_mean.uniform_(-0.5, 0.5)
        m.running_var.uniform_(0.5, 2.0)
        m.weight.data.uniform_(0.5, 1.5)
        m.bias.data.uniform_(-0.3, 0.3)
model.eval()
torch.save(model.state_dict(), f"{out}/{arch}.pth")

g = torch.Generator().manual_seed(seed)
images = torch.randint(0, 256, (16, 224, 224, 3), generator=g, dtype=torch.uint8)
images.numpy().tofile(f"{out}/images.u8")
x = images.permute(0, 3, 1, 2).float() / 255
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
x = (x - mean) / std
if hasattr(model, "fc"):
    model.fc = torch.nn.Identity()
else:
    model.classifier = torch.nn.Identity()
with torch.no_grad():
    features = model(x)
features.numpy().astype("<f4").tofile(f"{out}/features.f32")

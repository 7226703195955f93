"""The networks: TrackNetV2 as published and a fast network for ordinary CPUs.

Both take `3 * frames_in` channels (RGB frames stacked oldest first, values in [0, 1]) at
the configured input size and return `frames_out` heatmaps of the same size, already
passed through a sigmoid.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn
from torch.nn import functional

from tracknet.config import ModelConfig
from tracknet.train_options import ARCHITECTURES

# The heads start out predicting 1% ball everywhere (the focal-loss prior of RetinaNet),
# close to the true share of ball pixels, instead of 50%. Measured on the tiny synthetic
# training test (FastTrackNet base 8, 8 epochs of 40 steps): validation F1 1.0 from the
# first epoch, against 0.0 for four epochs from PyTorch's default initialisation.
HEAD_PRIOR = 0.01


def init_head(head: nn.Conv2d) -> None:
    """Set a 1x1 heatmap head's bias so that sigmoid(output) starts at HEAD_PRIOR."""
    nn.init.constant_(head.bias, -math.log((1 - HEAD_PRIOR) / HEAD_PRIOR))


def conv_bn_relu(
    in_channels: int, out_channels: int, kernel: int = 3, stride: int = 1
) -> nn.Sequential:
    """Convolution, batch norm and ReLU, padded to keep the size (divided by the stride)."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel, stride, kernel // 2, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


def conv_stack(in_channels: int, out_channels: int, count: int) -> nn.Sequential:
    """`count` 3x3 conv-BN-ReLU layers, TrackNetV2's building block (2 or 3 of them)."""
    layers = [conv_bn_relu(in_channels, out_channels)]
    layers += [conv_bn_relu(out_channels, out_channels) for _ in range(count - 1)]
    return nn.Sequential(*layers)


class TrackNetV2(nn.Module):
    """TrackNetV2 (Sun et al. 2020): a VGG-style encoder and a U-Net decoder.

    With the published base width of 64 it has about 11.3 M parameters. `base` scales
    every layer's width, e.g. 32 for the half-width variant.
    """

    def __init__(self, in_channels: int = 9, out_channels: int = 3, base: int = 64) -> None:
        super().__init__()
        b = base
        self.down1 = conv_stack(in_channels, b, 2)
        self.down2 = conv_stack(b, 2 * b, 2)
        self.down3 = conv_stack(2 * b, 4 * b, 3)
        self.bottleneck = conv_stack(4 * b, 8 * b, 3)
        self.up3 = conv_stack(8 * b + 4 * b, 4 * b, 3)
        self.up2 = conv_stack(4 * b + 2 * b, 2 * b, 2)
        self.up1 = conv_stack(2 * b + b, b, 2)
        self.head = nn.Conv2d(b, out_channels, 1)
        init_head(self.head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s1 = self.down1(x)
        s2 = self.down2(functional.max_pool2d(s1, 2))
        s3 = self.down3(functional.max_pool2d(s2, 2))
        x = self.bottleneck(functional.max_pool2d(s3, 2))
        x = self.up3(torch.cat([_upsample(x), s3], dim=1))
        x = self.up2(torch.cat([_upsample(x), s2], dim=1))
        x = self.up1(torch.cat([_upsample(x), s1], dim=1))
        return torch.sigmoid(self.head(x))


def _upsample(x: torch.Tensor) -> torch.Tensor:
    return functional.interpolate(x, scale_factor=2.0, mode="nearest")


class SeparableResidual(nn.Module):
    """Depthwise 3x3 (optionally dilated) then pointwise 1x1, with an identity shortcut.

    Dilation widens the receptive field at no extra cost, which the network needs to
    relate a ball's position across three frames when it moves fast.
    """

    def __init__(self, channels: int, dilation: int = 1) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(
            channels, channels, 3, padding=dilation, dilation=dilation, groups=channels, bias=False
        )
        self.bn1 = nn.BatchNorm2d(channels)
        self.pointwise = nn.Conv2d(channels, channels, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = functional.relu(self.bn1(self.depthwise(x)), inplace=True)
        y = self.bn2(self.pointwise(y))
        return functional.relu(x + y, inplace=True)


class FastTrackNet(nn.Module):
    """A small encoder-decoder that runs in real time on a laptop CPU.

    Layout (input 288x512, `base` = c):
      stem: 3x3 at full resolution (`full_res` channels), 3x3 stride 2 to 1/2 (c) and
        separable blocks there, 3x3 stride 2 to 1/4 (2c), separable blocks at 1/4
      context: 3x3 stride 2 to 1/8 (4c), separable blocks dilated 1, 2, 4, 8 (a receptive
        field of ~250 input pixels, enough for a ball crossing a good part of the frame
        within a triplet)
      decoder: up to 1/4 + skip, up to 1/2 + skip, up to full size + skip, 1x1 head.
    The heavy work happens at 1/4 and 1/8, where it is cheap. The full-resolution stem and
    the blocks at 1/2 let it see a ball of 1-2 px by its look, not only by its motion
    (a resting ball has none): with them the held-out F1 rose 0.8 points at a third more
    FLOPs (docs/model-variants.md). `full_res=0, full_res_stem=False, half_blocks=0` is
    the first layout (a single stride-2 convolution of the raw frames, and the heatmap
    upsampled from 1/2), which format-1 model files use (the first shipped weights too).
    """

    def __init__(
        self,
        in_channels: int = 9,
        out_channels: int = 3,
        base: int = 32,
        quarter_blocks: int = 2,
        dilations: Sequence[int] = (1, 2, 4, 8),
        full_res: int = 16,
        half_blocks: int = 2,
        full_res_stem: bool = True,
    ) -> None:
        super().__init__()
        if full_res_stem and not full_res:
            raise ValueError(
                "full_res_stem needs full_res > 0, the channels it starts from "
                "(without full_res, set full_res_stem false)"
            )
        c = base
        # full_res > 0: a few channels at the input's resolution, fused before the head, so
        # the heatmap is placed from full-resolution edges rather than upsampled from 1/2.
        # full_res_stem: the encoder starts from them too, not from the raw frames, so a
        # ball of 2 px is seen by its look before the first stride (a resting ball has no
        # motion to give it away).
        self.full_res = full_res
        self.full_res_stem = full_res_stem
        if full_res:
            self.stem_full = conv_bn_relu(in_channels, full_res, 3)
            self.fuse_full = conv_bn_relu(c + full_res, full_res, 1)
        self.stem_half = conv_bn_relu(full_res if full_res_stem else in_channels, c, 3, stride=2)
        # half_blocks: depth at 1/2, where the decoder's skip at 1/2 comes from (else it is
        # one convolution of the raw frames).
        self.half_refine = nn.Sequential(*[SeparableResidual(c) for _ in range(half_blocks)])
        self.stem_quarter = nn.Sequential(
            conv_bn_relu(c, 2 * c, 3, stride=2),
            *[SeparableResidual(2 * c) for _ in range(quarter_blocks)],
        )
        self.context = nn.Sequential(
            conv_bn_relu(2 * c, 4 * c, 3, stride=2),
            *[SeparableResidual(4 * c, d) for d in dilations],
        )
        self.fuse_quarter = nn.Sequential(
            conv_bn_relu(4 * c + 2 * c, 2 * c, 1), SeparableResidual(2 * c)
        )
        # 1x1 then depthwise: a full 3x3 here, at half resolution, cost more than the
        # whole encoder.
        self.fuse_half = nn.Sequential(conv_bn_relu(2 * c + c, c, 1), SeparableResidual(c))
        self.head = nn.Conv2d(full_res or c, out_channels, 1)
        init_head(self.head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        full = self.stem_full(x) if self.full_res else None
        half = self.half_refine(self.stem_half(full if self.full_res_stem else x))
        quarter = self.stem_quarter(half)
        y = self.context(quarter)
        y = self.fuse_quarter(torch.cat([_upsample(y), quarter], dim=1))
        y = self.fuse_half(torch.cat([_upsample(y), half], dim=1))
        if full is not None:
            y = self.fuse_full(torch.cat([_upsample(y), full], dim=1))
            return torch.sigmoid(self.head(y))
        logits = functional.interpolate(
            self.head(y), scale_factor=2.0, mode="bilinear", align_corners=False
        )
        return torch.sigmoid(logits)


NETWORKS: dict[str, Callable[..., nn.Module]] = {
    "tracknetv2": TrackNetV2,
    "fasttracknet": FastTrackNet,
}
# The training options name them without importing torch.
assert set(NETWORKS) == set(ARCHITECTURES), "tracknet.train_options.ARCHITECTURES is stale"


def default_arch_kwargs(arch: str) -> dict[str, Any]:
    """The keyword arguments network `arch` takes, at their defaults (tuples as lists, the
    way they come back from a model file's JSON)."""
    return {
        name: list(param.default) if isinstance(param.default, tuple) else param.default
        for name, param in inspect.signature(NETWORKS[arch]).parameters.items()
        if name not in ("in_channels", "out_channels") and param.default is not param.empty
    }


def build_network(config: ModelConfig) -> nn.Module:
    """The untrained network that `config` describes."""
    try:
        factory = NETWORKS[config.arch]
    except KeyError:
        raise ValueError(
            f"unknown architecture {config.arch!r}; known: {sorted(NETWORKS)}"
        ) from None
    return factory(
        in_channels=config.in_channels, out_channels=config.frames_out, **config.arch_kwargs
    )


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)

"""Convolutional building blocks for image observations (rlpyt ``models/conv2d.py``).

Images arrive as ``uint8`` ``[..., C, H, W]`` (C stacked frames) and are scaled to ``[0, 1]``
inside ``forward``, so buffers and replays keep one byte per pixel.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from engine.models.mlp import MlpModel

#: rlpyt's Atari DQN / R2D1 conv layers (the Nature DQN net).
DQN_CONV = dict(
    channels=(32, 64, 64), kernel_sizes=(8, 4, 3), strides=(4, 2, 1), paddings=(0, 1, 1)
)
#: rlpyt's Atari policy-gradient conv layers.
PG_CONV = dict(channels=(16, 32), kernel_sizes=(8, 4), strides=(4, 2), paddings=(0, 1))


class Conv2dModel(nn.Module):
    """Conv layers, each followed by ``nonlinearity``; ``[N, C, H, W] -> [N, C', H', W']``."""

    def __init__(
        self,
        in_channels: int,
        channels: Sequence[int],
        kernel_sizes: Sequence[int],
        strides: Sequence[int],
        paddings: Sequence[int],
        nonlinearity: type[nn.Module] = nn.ReLU,
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for out_channels, kernel, stride, padding in zip(
            channels, kernel_sizes, strides, paddings, strict=True
        ):
            conv = nn.Conv2d(in_channels, out_channels, kernel, stride, padding)
            layers += [conv, nonlinearity()]
            in_channels = out_channels
        self.conv = nn.Sequential(*layers)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.conv(image)

    def conv_out_size(self, height: int, width: int) -> int:
        """Flattened output size for ``[C, height, width]`` inputs."""
        with torch.no_grad():
            first = self.conv[0]
            assert isinstance(first, nn.Conv2d)
            probe = torch.zeros(1, first.in_channels, height, width)
            return int(self.conv(probe).numel())


class Conv2dHeadModel(nn.Module):
    """Conv layers then an MLP: ``uint8 [N, C, H, W] -> [N, output_size]`` (or the last hidden
    layer's size when ``output_size`` is None, as a trunk for separate heads).

    Pixels are divided by 255 here, so callers pass the raw ``uint8`` observation.
    """

    def __init__(
        self,
        image_shape: Sequence[int],
        channels: Sequence[int],
        kernel_sizes: Sequence[int],
        strides: Sequence[int],
        paddings: Sequence[int],
        hidden_sizes: Sequence[int] = (512,),
        output_size: int | None = None,
        nonlinearity: type[nn.Module] = nn.ReLU,
    ) -> None:
        super().__init__()
        in_channels, height, width = image_shape
        self.conv = Conv2dModel(
            in_channels, channels, kernel_sizes, strides, paddings, nonlinearity
        )
        self.head = MlpModel(
            self.conv.conv_out_size(height, width), hidden_sizes, output_size, nonlinearity
        )

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        features = self.conv(image.to(torch.float32) / 255.0)
        return self.head(features.flatten(start_dim=1))

    @property
    def output_size(self) -> int:
        return self.head.output_size

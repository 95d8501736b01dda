"""Reading a PNG a test was given back (a chart uploaded to the fake Slack, a screenshot): its size, how
varied its pixels are, and how many pixels are near a colour."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

__all__ = ["decode", "pixel_spread", "near"]


def decode(data: bytes) -> np.ndarray:
    """The image as an RGB array (height × width × 3); raises when ``data`` is not an image."""
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG", image.format
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def pixel_spread(pixels: np.ndarray) -> float:
    """The standard deviation of the pixels' brightness: about 0 for a blank image."""
    return float(pixels.mean(axis=2).std())


def near(pixels: np.ndarray, colour: str, tolerance: int = 40) -> int:
    """How many pixels lie within ``tolerance`` (per channel) of ``colour`` (``#rrggbb``)."""
    target = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
    return int((np.abs(pixels - target) <= tolerance).all(axis=2).sum())

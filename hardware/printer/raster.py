"""1-bit images as the printer prints them with GS v 0: placed across the paper, stacked, QR codes."""

from __future__ import annotations

import qrcode
from PIL import Image, ImageChops
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q

from .model import Align

# GS ( k function 69 error correction byte (48..51) -> the qrcode package's constant
QR_LEVELS = {48: ERROR_CORRECT_L, 49: ERROR_CORRECT_M, 50: ERROR_CORRECT_Q, 51: ERROR_CORRECT_H}
QR_LEVEL_M = 49  # 15 % of the code may be lost (a scratched or folded ticket) and it still reads


def place(image: Image.Image, width: int, align: Align) -> Image.Image:
    """image placed on a band of the paper's width, then cut after its last whole byte of ink:
    GS v 0 prints from the left margin, so blank dots on the right would only cost bytes."""
    left = {Align.LEFT: 0, Align.CENTER: (width - image.width) // 2, Align.RIGHT: width - image.width}[align]
    band = Image.new("1", (min(width, -(-(left + image.width) // 8) * 8), image.height), 1)
    band.paste(image, (max(0, left), 0))
    return band


def to_bytes(image: Image.Image, align: Align) -> Image.Image:
    """image widened to whole bytes (GS v 0 sends 8 dots a byte), the blank dots on the side away from
    align, so that the printer, aligning the image itself (ESC a), puts the ink where it belongs."""
    width = -(-image.width // 8) * 8
    if width == image.width:
        return image
    spare = width - image.width
    left = {Align.LEFT: 0, Align.CENTER: spare // 2, Align.RIGHT: spare}[align]
    band = Image.new("1", (width, image.height), 1)
    band.paste(image, (left, 0))
    return band


def inverted(image: Image.Image, margin: int) -> Image.Image:
    """White ink on a black block margin dots larger than image on every side (a mark that stands out)."""
    block = Image.new("1", (image.width + 2 * margin, image.height + 2 * margin), 0)
    block.paste(ImageChops.invert(image.convert("L")).convert("1"), (margin, margin))
    return block


def stack(images: list[Image.Image]) -> Image.Image:
    """Images one below the other, left-aligned, on a white band as wide as the widest."""
    band = Image.new("1", (max(image.width for image in images), sum(image.height for image in images)), 1)
    top = 0
    for image in images:
        band.paste(image, (0, top))
        top += image.height
    return band


def qr_image(data: bytes | str, module: int, level: int = QR_LEVEL_M) -> Image.Image:
    """A QR code (model 2, smallest version that fits) with modules of module dots and no quiet zone,
    as a printer draws it for GS ( k."""
    code = qrcode.QRCode(error_correction=QR_LEVELS[level], box_size=module, border=0)
    code.add_data(data)
    code.make(fit=True)
    return code.make_image().get_image().convert("1")

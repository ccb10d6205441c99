"""Finding the font that raster lines are drawn with: one face covering Arabic and Latin.

DejaVu Sans (Debian package fonts-dejavu-core) covers both scripts, so a mixed line such as
"رقمك A-042" needs no font fallback (Pillow has none). The file is looked up by name in the usual
font directories, so the code does not depend on one machine's layout.
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path

from PIL import ImageFont

from ..errors import PrinterError

REGULAR = "DejaVuSans.ttf"
BOLD = "DejaVuSans-Bold.ttf"
MONO = "DejaVuSansMono.ttf"  # the ESC/POS renderer's stand-in for the printer's own font
MONO_BOLD = "DejaVuSansMono-Bold.ttf"
PACKAGE = "fonts-dejavu-core"


class FontMissing(PrinterError):
    """The font needed to draw Arabic (or any raster line) is not installed: nothing can be printed."""


def font_dirs() -> list[Path]:
    """Where fonts are installed on Debian and most Linux systems, system-wide first."""
    home = Path.home()
    return [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), home / ".local/share/fonts",
            home / ".fonts"]


@cache
def find_font(filename: str) -> Path:
    """The first file called filename under the font directories; FontMissing says what to install."""
    for folder in font_dirs():
        if folder.is_dir():
            found = next(iter(sorted(folder.rglob(filename))), None)
            if found is not None:
                return found
    searched = ", ".join(str(folder) for folder in font_dirs())
    raise FontMissing(f"the font {filename} was not found in {searched}: install the Debian package {PACKAGE}"
                      " (apt-get install fonts-dejavu-core), then restart")


@lru_cache(maxsize=64)
def load_font(filename: str, size: int, raqm: bool) -> ImageFont.FreeTypeFont:
    """The font at a pixel size, with the raqm (shaping, bidi) or the basic layout engine."""
    engine = ImageFont.Layout.RAQM if raqm else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(find_font(filename)), size, layout_engine=engine)

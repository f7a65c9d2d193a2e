"""A paper's full text as ``ingest`` extracts it and ``fill`` reads it: sections of plain-text paragraphs.

``ingest.fulltext`` fetches arXiv's HTML rendering (or the PDF) and caches this form as JSON under
``.paperkb-cache/fulltext/`` (outside ``content/``, ignored by git), one file per arXiv ID and version, so a
second run fetches nothing; ``fill`` fits it to its input budget. Defined here because both use it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Where extracted full texts are kept, relative to the knowledge base's root.
CACHE_DIR = Path(".paperkb-cache") / "fulltext"
#: How the text was had: arXiv's HTML rendering, or the PDF.
SOURCES = ("html", "pdf")


@dataclass
class TextSection:
    title: str  # as the paper heads it ('1 Introduction'); '' for text before the first heading
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class FullText:
    arxiv_id: str  # version-free ('2501.12948', 'cs/9901001')
    version: int
    source: str  # one of SOURCES
    sections: list[TextSection] = field(default_factory=list)

    def as_json(self) -> str:
        data = {
            "arxiv": self.arxiv_id,
            "version": self.version,
            "source": self.source,
            "sections": [{"title": s.title, "paragraphs": s.paragraphs} for s in self.sections],
        }
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> FullText | None:
        """The cached form read back; None for anything that is not one (a broken cache file is fetched again)."""
        try:
            data: Any = json.loads(text)
            sections = [TextSection(str(s["title"]), [str(p) for p in s["paragraphs"]]) for s in data["sections"]]
            found = cls(str(data["arxiv"]), int(data["version"]), str(data["source"]), sections)
        except (ValueError, KeyError, TypeError):
            return None
        return found if found.source in SOURCES else None

    @property
    def characters(self) -> int:
        return sum(len(s.title) + sum(len(p) for p in s.paragraphs) for s in self.sections)


def cache_path(root: Path, arxiv_id: str, version: int) -> Path:
    """The cache file of one ID and version ('cs/9901001' v2 -> cs_9901001v2.json)."""
    return root / CACHE_DIR / f"{re.sub(r'[^A-Za-z0-9.-]', '_', arxiv_id)}v{version}.json"

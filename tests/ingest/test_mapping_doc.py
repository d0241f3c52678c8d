"""docs/signalk-mapping.md lists exactly the (sentence, path) pairs the tables produce."""

import re
from pathlib import Path

from isomer_data.ingest.ais import AIS_MESSAGES
from isomer_data.ingest.normalize import Choice
from isomer_data.ingest.sentences import SENTENCES

DOC = Path(__file__).parents[2] / "docs" / "signalk-mapping.md"


def documented() -> set[tuple[str, str]]:
    pairs = set()
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        kinds = [k.strip() for k in cells[0].split(",")] if len(cells) == 4 else []
        # A sentence type, or several sharing a row ("ALK, PSMDST"); proprietary ones whole.
        sentence_row = kinds and all(re.fullmatch(r"[A-Z]{3}|P[A-Z]{3,5}", k) for k in kinds)
        if sentence_row and "." in cells[2]:
            pairs.update((kind, cells[2]) for kind in kinds)
        if len(cells) == 4 and re.fullmatch(r"[\d, ]+|all", cells[0]):
            for kind in re.findall(r"\d+", cells[0]) or [str(k) for k in AIS_MESSAGES]:
                pairs.add((f"AIS{kind}", cells[2]))
    return pairs


def tabled() -> set[tuple[str, str]]:
    pairs = set()
    for kind, row in SENTENCES.items():
        for path, _ in row.rules:
            for p in path.paths.values() if isinstance(path, Choice) else [path]:
                pairs.add((kind, p))
        for p in row.produces:  # rows with logic of their own (GSV, Seatalk, DSC…)
            pairs.add((kind, p))
    for kind, rules in AIS_MESSAGES.items():
        for path, _ in rules:
            pairs.add((f"AIS{kind}", path))
    return pairs


def test_mapping_doc_matches_the_tables():
    assert documented() == tabled()


def test_every_sentence_type_is_on_the_page():
    text = DOC.read_text()
    missing = [k for k in SENTENCES if not re.search(rf"^\| (\w+, )*{k}(, \w+)* \|", text, re.M)]
    assert missing == []

"""pyvi's CRF read from its crfsuite model file, and crfsuite's Viterbi over two labels.

python-crfsuite spends most of a tagging call copying each attribute name into
C++ strings and looking it up; pyvi's model is small (about 6,000 attributes,
two labels, B_W and I_W), so its weights are read here once and a sentence is
scored in Python. The arithmetic is crfsuite's own (crf1d_tag.c, crf1d_context.c):
a state score is the sum, in doubles and in the order crfsuite adds them, of the
weights of the sentence's attributes (attributes in the order given, features
in file order, starting from 0.0); the best path keeps the first label on a tie.
The labels are therefore crfsuite's: the tests compare them with pyvi's tagger.
"""

from __future__ import annotations

import codecs
import pickle
import struct
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from numpy._core import multiarray as _multiarray

# crfsuite's CRF1d model file (crf1d_model.c), little-endian.
_HEADER = struct.Struct("<4sI4sIIIIIIIII")  # magic, size, type, version, counts, offsets
_CHUNK = struct.Struct("<4sII")  # chunk id, size, number of items
_FEATURE = struct.Struct("<IIId")  # type (0 state, 1 transition), source, label, weight
_CQDB = struct.Struct("<4sIIIII")  # id, size, flag, byte order, backward size, offset
_STATE, _TRANSITION = 0, 1


@dataclass(frozen=True)
class CRF:
    """A first-order CRF: label names, transition weights, state weights by attribute."""

    labels: tuple[str, ...]
    # transitions[i][j]: the weight of label i followed by label j.
    transitions: tuple[tuple[float, ...], ...]
    # For each attribute, its features in file order: (label, weight).
    state: dict[str, tuple[tuple[int, float], ...]]

    def weights(self, attributes: tuple[str, ...]) -> tuple[tuple[float, ...], ...]:
        """Per label, the weights ``attributes`` (each of value 1) add, in crfsuite's order."""
        out: list[list[float]] = [[] for _ in self.labels]
        for attr in attributes:
            # crfsuite looks a name up as a C string: it ends at a NUL character.
            for label, weight in self.state.get(attr.partition("\0")[0], ()):
                out[label].append(weight)
        return tuple(tuple(ws) for ws in out)


def read_model(path: Path | str) -> CRF:
    """The CRF in a crfsuite model file (CRF1d, as python-crfsuite writes it)."""
    return _parsed(Path(path).read_bytes(), str(path))


def _parsed(buf: bytes, where: str) -> CRF:
    try:
        return _parse(buf)
    except (struct.error, IndexError, ValueError) as e:
        raise ValueError(f"{where}: not a two-label crfsuite CRF1d model ({e})") from None


class _Held:
    """An object of pyvi's pickle, kept as its state: no class of sklearn is imported."""

    state: dict

    def __setstate__(self, state: dict) -> None:
        self.state = state


# What pyvi's model pickle refers to: sklearn-crfsuite's estimator and file
# holder (their state is all that is read), and numpy and codecs for its values.
# Importing sklearn-crfsuite would load scikit-learn and SciPy: 80 MB and 0.8 s
# in each indexing process.
_PICKLED = {
    ("sklearn_crfsuite.estimator", "CRF"): _Held,
    ("sklearn_crfsuite._fileresource", "FileResource"): _Held,
    ("pycrfsuite._logparser", "TrainLogParser"): _Held,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "scalar"): _multiarray.scalar,
    ("_codecs", "encode"): codecs.encode,
}


class _ModelUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        try:
            return _PICKLED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"{module}.{name} is not in pyvi's model") from None


def pyvi_file(name: str):
    """A file of pyvi's package (``models/pyvi3.pkl``, ``models/words.txt``)."""
    return resources.files("pyvi").joinpath(name)


def read_pyvi_model() -> CRF:
    """pyvi's tokenizer CRF: the crfsuite model its pickled estimator holds."""
    with pyvi_file("models/pyvi3.pkl").open("rb") as f:
        estimator = _ModelUnpickler(f).load()
    # sklearn-crfsuite pickles the model file's bytes with the estimator.
    return _parsed(estimator.state["modelfile"].state["__FILE_RESOURCE_DATA__"], "pyvi's model")


def read_pyvi_ngrams() -> tuple[set[str], set[str]]:
    """pyvi's bigram and trigram lists, read from its words.txt as ViTokenizer reads them."""
    bi, tri = set(), set()
    for token in pyvi_file("models/words.txt").read_bytes().decode("utf-8").split("\n"):
        n = len(token.split(" "))
        if n == 2:
            bi.add(token)
        elif n == 3:
            tri.add(token)
    return bi, tri


def _parse(buf: bytes) -> CRF:
    (
        magic,
        _,
        kind,
        _,
        _,
        n_labels,
        n_attrs,
        off_feat,
        off_labels,
        off_attrs,
        off_lrefs,
        off_arefs,
    ) = _HEADER.unpack_from(buf, 0)
    if magic != b"lCRF" or kind != b"FOMC":
        raise ValueError("bad magic")
    chunk, _, n_features = _CHUNK.unpack_from(buf, off_feat)
    if chunk != b"FEAT" or n_labels != 2:
        raise ValueError(f"{n_labels} labels")
    start = off_feat + _CHUNK.size
    features = list(_FEATURE.iter_unpack(buf[start : start + _FEATURE.size * n_features]))
    labels = _strings(buf, off_labels, n_labels)
    attrs = _strings(buf, off_attrs, n_attrs)

    transitions = [[0.0] * n_labels for _ in range(n_labels)]
    for i, fids in enumerate(_refs(buf, off_lrefs, n_labels)):
        for fid in fids:
            ftype, src, dst, weight = features[fid]
            if ftype == _TRANSITION and src == i:
                transitions[i][dst] = weight
    state = {}
    for aid, fids in enumerate(_refs(buf, off_arefs, n_attrs)):
        feats = tuple(
            (dst, weight)
            for ftype, src, dst, weight in (features[f] for f in fids)
            if ftype == _STATE and src == aid
        )
        if feats:
            state[attrs[aid]] = feats
    return CRF(tuple(labels), tuple(map(tuple, transitions)), state)


def _refs(buf: bytes, off: int, n: int) -> list[tuple[int, ...]]:
    """The feature ids of each of ``n`` labels or attributes (a LFRF/AFRF chunk)."""
    offsets = struct.unpack_from(f"<{n}I", buf, off + _CHUNK.size)
    out = []
    for o in offsets:
        (count,) = struct.unpack_from("<I", buf, o)
        out.append(struct.unpack_from(f"<{count}I", buf, o + 4))
    return out


def _strings(buf: bytes, off: int, n: int) -> list[str]:
    """The strings of ids 0..n-1 of a constant quark database (CQDB) chunk."""
    chunk, _, _, _, bwd_size, bwd_offset = _CQDB.unpack_from(buf, off)
    if chunk != b"CQDB" or bwd_size < n:
        raise ValueError("bad string table")
    out = []
    for i, o in enumerate(struct.unpack_from(f"<{n}I", buf, off + bwd_offset)):
        sid, size = struct.unpack_from("<iI", buf, off + o)
        if sid != i:
            raise ValueError("bad string table")
        # The key ends with a NUL byte; crfsuite compares UTF-8 bytes.
        out.append(buf[off + o + 8 : off + o + 7 + size].decode("utf-8", "surrogateescape"))
    return out


def best_path(crf: CRF, scores: list[tuple[float, float]]) -> list[int]:
    """crfsuite's Viterbi path (label ids) for per-item state scores of a 2-label CRF."""
    (t00, t01), (t10, t11) = crf.transitions
    back: list[tuple[int, int]] = []
    prev0, prev1 = scores[0]
    for s0, s1 in scores[1:]:
        # crfsuite keeps the first label unless the next one scores strictly more.
        a, b = prev0 + t00, prev1 + t10
        k0 = a < b
        c, d = prev0 + t01, prev1 + t11
        k1 = c < d
        prev0 = (b if k0 else a) + s0
        prev1 = (d if k1 else c) + s1
        back.append((k0, k1))
    label = int(prev0 < prev1)
    path = [label]
    for step in reversed(back):
        label = int(step[label])
        path.append(label)
    path.reverse()
    return path

"""Uploads are identified by their magic bytes: each accepted audio container, and what is refused."""

from __future__ import annotations

import pytest

from speakpro.uploads import AAC, MATROSKA, MP4, MPEG, OGG, WAV, WEBM, detect_audio

WEBM_HEAD = bytes.fromhex("1a45dfa3") + b"\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm\x42\x87\x81\x04"
MKV_HEAD = bytes.fromhex("1a45dfa3") + b"\xa3\x42\x86\x81\x01\x42\x82\x88matroska"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (WEBM_HEAD + b"\x00" * 100, WEBM),
        (MKV_HEAD + b"\x00" * 100, MATROSKA),
        (b"OggS\x00\x02" + b"\x00" * 40, OGG),
        (b"RIFF\x24\x08\x00\x00WAVEfmt " + b"\x00" * 40, WAV),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom", MP4),
        (b"\x00\x00\x00\x18ftypmp42", MP4),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00", MPEG),
        (b"\xff\xfb\x90\x64" + b"\x00" * 40, MPEG),  # MPEG-1 layer III frame, no tag
        (b"\xff\xf3\x40\xc4" + b"\x00" * 40, MPEG),  # MPEG-2 layer III
        (b"\xff\xf1\x50\x80\x02\x1f\xfc", AAC),  # ADTS: the sync word with layer bits 00
    ],
)
def test_each_audio_signature_is_recognised(data, expected):
    assert detect_audio(data) == expected


def test_mimes_and_extensions_are_what_the_browser_expects():
    assert (WEBM.mime, WEBM.extension) == ("audio/webm", "webm")
    assert (OGG.mime, WAV.mime, MP4.mime, MPEG.mime) == ("audio/ogg", "audio/wav", "audio/mp4", "audio/mpeg")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x1a",  # a truncated EBML header
        b"hello, this is plain text and not a recording",
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"GIF89a\x01\x00\x01\x00",
        b"%PDF-1.7\n",
        b"PK\x03\x04\x14\x00",  # a zip (or an .m4a renamed from one)
        b"RIFF\x24\x08\x00\x00AVI LIST",  # RIFF, but a video
        b"RIFF\x24\x08",  # RIFF too short to say
        b"\xff\xd8\xff\xe0\x00\x10JFIF",  # JPEG: 0xFF then 0xD8 is no frame sync
        b"MZ\x90\x00",
        b"\x00\x00\x00\x20ftyp"[:7],  # too short to hold the ftyp box name
    ],
)
def test_anything_else_is_refused(data):
    assert detect_audio(data) is None


def test_the_name_or_declared_type_never_matters():
    # Only bytes are looked at; text with an audio-looking start past the header is still text.
    assert detect_audio(b"    OggS") is None
    assert detect_audio(b"audio/webm") is None

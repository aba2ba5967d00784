"""Tests against a real ``opencode serve`` (opencode-ai 1.18.33) driven by a scripted fake model.

See :mod:`.install` (getting the binary), :mod:`.fake_model`, :mod:`.server` and the fixtures in
``conftest.py``.
"""

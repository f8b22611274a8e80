"""fgmp_torch: FGMP profiles (docs/profile-format.md) from PyTorch, for models beyond one machine.

python3 -m fgmp_torch profile MODEL --calib FILE --out FILE [...]  (see __main__.py, docs/profiles.md)."""
__version__ = '0.1.0'

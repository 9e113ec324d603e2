#!/usr/bin/python3
"""Writes a safetensors file as a torch.save'd state_dict, optionally prefixing every name.

Usage: /usr/bin/python3 write_state_dict.py IN.safetensors OUT.pth [PREFIX]
"""
import os
import sys
from collections import OrderedDict

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import safetensors_io  # noqa: E402


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    prefix = argv[3] if len(argv) == 4 else ""
    tensors, _ = safetensors_io.load(argv[1])
    torch.save(OrderedDict((prefix + k, v) for k, v in sorted(tensors.items())), argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

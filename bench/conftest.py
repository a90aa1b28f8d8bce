import os
import sys

# The bench modules share report.py and signals.py from this folder.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

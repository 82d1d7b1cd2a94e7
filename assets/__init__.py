"""Built-in data shipped with the lab: scenarios, price lists, sample traces, styles.

A package (not just a folder) so that `importlib.resources` finds it after a normal install.
"""

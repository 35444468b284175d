"""QTNet, the trading application: market data, indicators, strategies, the env, the backtester.

The library never imports this package (the `mimetic/Trading-v0` registration uses a string
entry point), so `import mimetic` stays light.
"""

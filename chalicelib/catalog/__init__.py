"""Catalog: products, feed parsing, price and stock history."""

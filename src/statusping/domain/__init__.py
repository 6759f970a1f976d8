"""Pure rules of the product: no web framework, no SQL, no network. Time is a parameter."""

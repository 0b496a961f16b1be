// Anchors the fakes library; the fakes themselves live beside it.

"""Chapter 7's models of time over per-frame features: per-frame CNN features and CNN + LSTM
(:mod:`.sequences`), 1-D temporal convolutions (:mod:`.conv`), temporal self-attention
(:mod:`.attention`), recurrent convolutional networks (:mod:`.recurrent`), and what sequence models
cost (:mod:`.costs`).
"""

"""Build-time fine-tuning of the MiniLM-L6 cascade encoder (torch only in the training venv).

`data` assembles the multi-task rows, `bert` is the plain-torch encoder with one head per
task, `finetune` trains it, `export` writes int8 ONNX with a parity record, `evaluate`
measures it on held-out sources next to the linear models and calibrates the cascade band;
`args` is the steps' shared command-line shape.
"""

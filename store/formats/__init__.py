"""Read-only readers of runs that other tools wrote, each behind `RunStore`.

One module a kind: `dvclive` (DVCLive folders), `lightning_csv` (Lightning's CSVLogger),
`hf_trainer` (Hugging Face `trainer_state.json`), `trackio` (trackio's SQLite databases),
`wandb_store` (W&B run folders) and `tb_store` (TensorBoard logs; these two need extras to read
histories). `files` holds what the folder kinds share (per-step rows to history arrays, records,
the listing through `FolderRunStore`). Which kind a path is, and how it is opened, is said in one
place for every kind: `store/opening/kinds.py`.
"""

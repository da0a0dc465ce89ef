"""Engine-neutral core: what the pandas and the Spark engines share and neither owns.

No torch and no pyspark here: the frame profile, the engine protocol and value types, the
augmentation plan and its checks, the column rules (ID-like, MAX_CLASSES), the SMOTE
helper, and the row scorer, thresholds and block-sampling plan that both engines run.
"""

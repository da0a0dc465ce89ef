from genesis import augment_imbalanced

# One-line balanced dataset
balanced_data = augment_imbalanced(
    transactions,
    target_column='is_fraud',
    ratio=0.3,  # Target 30% fraud rate
    strategy='oversample',  # Generate synthetic minority class
    discrete_columns=['merchant_category']
)

print(f"Balanced dataset: {len(balanced_data):,} samples")
print(f"New fraud rate: {balanced_data['is_fraud'].mean():.1%}")

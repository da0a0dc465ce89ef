from genesis.pipeline import Pipeline, steps

# Define ML pipeline with synthetic augmentation
ml_pipeline = Pipeline([
    # Load data
    steps.load_csv('transactions.csv'),
    
    # Analyze class imbalance
    steps.analyze(
        target_column='is_fraud',
        report=True
    ),
    
    # Augment minority class
    steps.augment_imbalanced(
        target_column='is_fraud',
        ratio=0.3,
        strategy='oversample',
        discrete_columns=['merchant_category']
    ),
    
    # Evaluate augmentation quality
    steps.evaluate(
        target_column='is_fraud',
        min_score=0.85
    ),
    
    # Save augmented data
    steps.save_csv('augmented_transactions.csv'),
    
    # Save generator for future use
    steps.save_generator('fraud_generator.pkl')
])

# Run pipeline
result = ml_pipeline.run()

if result.success:
    print("✅ Pipeline completed successfully")
    print(f"   Output: {result.outputs['output_path']}")
    print(f"   Quality score: {result.metrics['quality_score']:.1%}")
else:
    print(f"❌ Pipeline failed: {result.error}")

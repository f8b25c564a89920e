"""What resources cost: the AWS Price List as it answers, the bundled table, the policy's own."""

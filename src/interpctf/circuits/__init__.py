"""Circuit hypotheses and interchange interventions, shared by the kinds whose answers may name model sites."""

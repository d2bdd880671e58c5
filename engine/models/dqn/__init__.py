"""Q networks of the DQN family."""

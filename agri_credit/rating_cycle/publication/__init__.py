"""结果公示: a village's results published for the 公示 period, notices, certificates, review."""

"""异议处理: objections raised during 公示 and their answers."""

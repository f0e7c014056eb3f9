break l2_load A

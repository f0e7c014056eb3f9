break write_aio A
snapshot_create s1

# a write held at its breakpoint while a read passes
break write_aio A
aio_write -P 0x5a 0 64k
wait_break A
read 1M 4k
resume A
aio_flush

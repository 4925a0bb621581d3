module quanzi/bench/hello

go 1.26.8

module example.com/basic

go 1.26.0

require github.com/gohot-dev/gohot v0.0.0

replace github.com/gohot-dev/gohot => ../..

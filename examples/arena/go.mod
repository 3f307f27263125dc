module example.com/arena

go 1.26.0

require (
	github.com/gohot-dev/gohot v0.0.0
	github.com/stretchr/testify v1.12.1
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect

replace github.com/gohot-dev/gohot => ../..

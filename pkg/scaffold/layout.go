package scaffold

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/token"
	"slices"
)

// lineBreaks lays out lists of a parsed file one entry per line.
//
// go/printer breaks a list where the positions of its entries are on
// different lines, and the file's line table says which line an offset is
// on. So, rather than moving any code, lineBreaks adds a line start at
// each entry that shares a line with the one before, and at the closing
// parenthesis: offsets, and with them every comment, stay where they are.
// Entries added by an edit sit at a neighbour's position (placeAt) and
// land on its line: print the edited file, parse it again, then lay it
// out.
type lineBreaks struct {
	fset   *token.FileSet
	file   *ast.File
	tf     *token.File
	starts map[int]bool
}

func newLineBreaks(fset *token.FileSet, file *ast.File) *lineBreaks {
	b := &lineBreaks{fset: fset, file: file, tf: fset.File(file.Pos()), starts: map[int]bool{}}
	for _, l := range b.tf.Lines() {
		b.starts[l] = true
	}
	return b
}

// list breaks the lines of the list of nodes between open and close.
func (b *lineBreaks) list(open token.Pos, nodes []ast.Node, close token.Pos) {
	if len(nodes) == 0 {
		return
	}
	prevEnd := open
	for _, n := range nodes {
		if b.tf.Line(prevEnd) == b.tf.Line(n.Pos()) {
			b.starts[b.tf.Offset(n.Pos())] = true
		}
		prevEnd = n.End()
	}
	if b.tf.Line(prevEnd) == b.tf.Line(close) {
		b.starts[b.tf.Offset(close)] = true
	}
}

// args breaks the lines of c's arguments.
func (b *lineBreaks) args(c *ast.CallExpr) {
	nodes := make([]ast.Node, len(c.Args))
	for i, a := range c.Args {
		nodes[i] = a
	}
	b.list(c.Lparen, nodes, c.Rparen)
}

// params breaks the lines of fn's parameters.
func (b *lineBreaks) params(fn *ast.FuncDecl) {
	ps := fn.Type.Params
	nodes := make([]ast.Node, len(ps.List))
	for i, f := range ps.List {
		nodes[i] = f
	}
	// The last parameter ends where ")" begins, so a line start there
	// would put both on one line: the ")" moves one byte on, to the blank
	// gofmt leaves after it, which then starts the next line.
	ps.Closing++
	b.list(ps.Opening, nodes, ps.Closing)
}

// multiline reports whether n spans lines.
func (b *lineBreaks) multiline(n ast.Node) bool { return b.tf.Line(n.Pos()) != b.tf.Line(n.End()) }

// format prints the file, laid out, as gofmt would.
func (b *lineBreaks) format(name string) ([]byte, error) {
	lines := make([]int, 0, len(b.starts))
	for l := range b.starts {
		lines = append(lines, l)
	}
	slices.Sort(lines)
	if !b.tf.SetLines(lines) {
		return nil, fmt.Errorf("%s: laying out lists: bad line table", name)
	}
	return formatFile(name, b.fset, b.file)
}

// formatFile prints f as gofmt would.
func formatFile(name string, fset *token.FileSet, f *ast.File) ([]byte, error) {
	var out bytes.Buffer
	if err := format.Node(&out, fset, f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	src, err := format.Source(out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%s: edited, it does not format: %w", name, err)
	}
	return src, nil
}

// placeAt gives node, built by an edit, the position pos in every token
// it has. Without a position the printer estimates where it is by the
// text it wrote, and may print a comment that follows in the source
// (a line comment after the closing parenthesis, say) in the middle of
// the new node.
func placeAt(pos token.Pos, node ast.Node) {
	ast.Inspect(node, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			n.NamePos = pos
		case *ast.CallExpr:
			n.Lparen, n.Rparen = pos, pos
		case *ast.StarExpr:
			n.Star = pos
		}
		return true
	})
}

//! Nesting flat rows into trees by parent id (FBA's `traversal_to_tree`), for menus,
//! departments and any other table with a `parent_id`. Pure: no I/O, no types of a table.

use std::collections::HashMap;

/// A node of a tree built by [`build_tree`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeNode<T> {
    /// The item.
    pub item: T,
    /// Its children, in input order.
    pub children: Vec<TreeNode<T>>,
}

/// Nests `items` by parent (FBA's `traversal_to_tree`): an item whose parent is `None` or not
/// among `items` is a root; siblings keep the input order (pass items sorted by `sort`). Items
/// caught in a parent cycle are left out, as in FBA. Built without recursion.
pub fn build_tree<T>(items: Vec<T>, key: impl Fn(&T) -> (i64, Option<i64>)) -> Vec<TreeNode<T>> {
    let keys: Vec<(i64, Option<i64>)> = items.iter().map(&key).collect();
    let index: HashMap<i64, usize> = keys
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (*id, i))
        .collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); items.len()];
    let mut roots: Vec<usize> = Vec::new();
    for (i, (_, parent)) in keys.iter().enumerate() {
        match parent.and_then(|p| index.get(&p)) {
            Some(&p) if p != i => children[p].push(i),
            Some(_) => {} // its own parent: a one-node cycle
            None => roots.push(i),
        }
    }
    // Pre-order walk from the roots; building in reverse pre-order finishes children first.
    let mut order: Vec<usize> = Vec::with_capacity(items.len());
    let mut stack: Vec<usize> = roots.iter().rev().copied().collect();
    let mut visited = vec![false; items.len()];
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut visited[i], true) {
            continue;
        }
        order.push(i);
        stack.extend(children[i].iter().rev().copied());
    }
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    let mut built: Vec<Option<TreeNode<T>>> = (0..slots.len()).map(|_| None).collect();
    for &i in order.iter().rev() {
        let kids = children[i]
            .iter()
            .filter_map(|&c| built[c].take())
            .collect();
        if let Some(item) = slots[i].take() {
            built[i] = Some(TreeNode {
                item,
                children: kids,
            });
        }
    }
    roots.iter().filter_map(|&r| built[r].take()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids<T>(nodes: &[TreeNode<T>], key: &impl Fn(&T) -> i64) -> Vec<(i64, Vec<i64>)> {
        nodes
            .iter()
            .map(|n| {
                (
                    key(&n.item),
                    n.children.iter().map(|c| key(&c.item)).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn trees_follow_fba_traversal() {
        // (id, parent): 3's parent 9 is absent → root; 5 ↔ 6 is a cycle → dropped.
        let items = vec![
            (1, None),
            (2, Some(1)),
            (3, Some(9)),
            (4, Some(1)),
            (5, Some(6)),
            (6, Some(5)),
            (7, Some(7)),
        ];
        let tree = build_tree(items, |&(id, p)| (id, p));
        assert_eq!(
            ids(&tree, &|&(id, _): &(i64, Option<i64>)| id),
            vec![(1, vec![2, 4]), (3, vec![])]
        );
    }

    #[test]
    fn deep_chains_build_without_recursion() {
        let items: Vec<(i64, Option<i64>)> =
            (0..50_000).map(|i| (i, (i > 0).then(|| i - 1))).collect();
        let mut tree = build_tree(items, |&(id, p)| (id, p));
        assert_eq!(tree.len(), 1);
        // Dismantle iteratively so the test's own drop does not recurse.
        let mut depth = 0;
        let mut cur = tree.pop();
        while let Some(mut node) = cur {
            depth += 1;
            cur = node.children.pop();
        }
        assert_eq!(depth, 50_000);
    }
}

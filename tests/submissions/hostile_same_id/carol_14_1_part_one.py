"""Half of a submission handed in as two files, neither the assignment's: an id no entry
clearly stands for."""


def first_order_grads(x, y):
    raise NotImplementedError

import torch

from mibias.training import clip_mi_gradients


def test_param_rule_caps_each_tensor_at_its_task_norm():
    task = [torch.tensor([3.0, 4.0]), torch.tensor([10.0])]
    mi = [torch.tensor([0.0, 10.0]), torch.tensor([2.0])]
    clipped = clip_mi_gradients(task, mi, "param")
    assert torch.allclose(clipped[0], torch.tensor([0.0, 5.0]))  # |g_task| = 5 < |g_mi| = 10
    assert torch.allclose(clipped[1], torch.tensor([2.0]))  # already smaller: unchanged


def test_global_rule_scales_everything_by_one_factor():
    task = [torch.tensor([3.0]), torch.tensor([4.0])]  # global norm 5
    mi = [torch.tensor([6.0]), torch.tensor([8.0])]  # global norm 10
    clipped = clip_mi_gradients(task, mi, "global")
    assert torch.allclose(torch.cat(clipped), torch.tensor([3.0, 4.0]))


def test_zero_mi_gradient_and_none_mode():
    task = [torch.tensor([1.0])]
    assert torch.equal(clip_mi_gradients(task, [torch.zeros(1)], "param")[0], torch.zeros(1))
    mi = [torch.tensor([100.0])]
    assert clip_mi_gradients(task, mi, "none")[0] is mi[0]


def test_ratio_raises_the_cap():
    task = [torch.tensor([3.0, 4.0])]
    mi = [torch.tensor([0.0, 100.0])]
    assert torch.allclose(clip_mi_gradients(task, mi, "z", ratio=3.0)[0], torch.tensor([0.0, 15.0]))
